// Identity frame codec (see identity_frame.h).
#include "mesh/identity_frame.h"

#include <cstring>

namespace x0::mesh {
namespace {

constexpr char kMagic[4] = {'X', '0', 'M', 'I'};
constexpr size_t kSignatureSize = pqc::CompositeSignature::kSignatureSize;

}  // namespace

std::string encode_identity_frame(const IdentityFrame& frame) {
  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kIdentityFrameVersion));
  out.push_back(static_cast<char>(frame.role));
  out.push_back(static_cast<char>((frame.certificate.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(frame.certificate.size() & 0xff));
  out.append(reinterpret_cast<const char*>(frame.certificate.data()), frame.certificate.size());
  out.append(reinterpret_cast<const char*>(frame.signature.data()), frame.signature.size());
  return out;
}

Result<size_t> identity_frame_size(std::span<const uint8_t> bytes) {
  size_t have = std::min(bytes.size(), sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, have) != 0)
    return fail(Errc::kBadRequest, "the peer did not send an identity frame");
  if (bytes.size() < kIdentityFrameHeaderSize) return size_t{0};
  if (bytes[4] != kIdentityFrameVersion)
    return fail(Errc::kBadRequest,
                "identity frame version " + std::to_string(bytes[4]) + " (this node speaks 1)");
  if (bytes[5] != static_cast<uint8_t>(LinkRole::kClient) &&
      bytes[5] != static_cast<uint8_t>(LinkRole::kServer))
    return fail(Errc::kBadRequest, "identity frame role " + std::to_string(bytes[5]));
  size_t certificate = (size_t{bytes[6]} << 8) | bytes[7];
  if (certificate == 0 || certificate > kMaxIdentityCertificateSize)
    return fail(Errc::kBadRequest,
                "identity frame certificate of " + std::to_string(certificate) + " bytes");
  return kIdentityFrameHeaderSize + certificate + kSignatureSize;
}

Result<IdentityFrame> decode_identity_frame(std::span<const uint8_t> bytes) {
  auto size = identity_frame_size(bytes);
  if (!size) return std::unexpected(size.error());
  if (*size == 0 || bytes.size() < *size)
    return fail(Errc::kBadRequest, "identity frame truncated");
  if (bytes.size() > *size) return fail(Errc::kBadRequest, "bytes after the identity frame");
  IdentityFrame frame;
  frame.role = static_cast<LinkRole>(bytes[5]);
  size_t certificate = *size - kIdentityFrameHeaderSize - kSignatureSize;
  auto cert = bytes.subspan(kIdentityFrameHeaderSize, certificate);
  auto signature = bytes.subspan(kIdentityFrameHeaderSize + certificate, kSignatureSize);
  frame.certificate.assign(cert.begin(), cert.end());
  frame.signature.assign(signature.begin(), signature.end());
  return frame;
}

}  // namespace x0::mesh
