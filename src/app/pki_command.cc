// `x0tta6bl4 pki ...` (see pki_command.h): argument parsing and printing; the work is in
// src/tls/pki.
#include "app/pki_command.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tls/pki/composite_verify.h"
#include "tls/pki/ed25519_certificate.h"
#include "tls/pki/mesh_ca.h"
#include "tls/pki/pem.h"
#include "tls/pki/pki_files.h"

namespace x0::app {
namespace {

namespace pki = tls::pki;

constexpr const char* kUsage =
    "usage:\n"
    "  x0tta6bl4 pki init [--dir DIR] [--days N] [--force]\n"
    "      make the mesh CA in DIR (default /etc/x0tta6bl4/certs, 3650 days)\n"
    "  x0tta6bl4 pki issue --ca DIR --node ID --out DIR [--days N] [--address IP]... [--force]\n"
    "      issue a node's Ed25519 and composite certificates (default 365 days)\n"
    "  x0tta6bl4 pki show FILE [--ca DIR]\n"
    "      print a certificate; verify it when DIR (default: FILE's directory) has the CA\n";

int usage(const std::string& message) {
  std::fprintf(stderr, "x0tta6bl4 pki: %s\n%s", message.c_str(), kUsage);
  return 2;
}

int failure(const Error& e) {
  std::fprintf(stderr, "x0tta6bl4 pki: %s\n", e.detail.c_str());
  return 1;
}

std::chrono::sys_seconds now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

bool parse_days(const std::string& text, int* days) {
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1 || n > 36500) return false;
  *days = static_cast<int>(n);
  return true;
}

void print_files(const pki::Issued& issued) {
  for (const std::string& file : issued.files) std::printf("wrote: %s\n", file.c_str());
  std::printf("subject: CN=%s\n", issued.fields.subject_cn.c_str());
  std::printf("not_before: %s\n", pki::rfc3339(issued.fields.not_before).c_str());
  std::printf("not_after: %s\n", pki::rfc3339(issued.fields.not_after).c_str());
}

int init(const std::vector<std::string>& args) {
  pki::CaOptions o;
  o.dir = "/etc/x0tta6bl4/certs";
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--force") {
      o.force = true;
    } else if (i + 1 >= args.size()) {
      return usage("missing value for " + flag);
    } else if (flag == "--dir") {
      o.dir = args[++i];
    } else if (flag == "--days") {
      if (!parse_days(args[++i], &o.days)) return usage("--days takes 1..36500: " + args[i]);
    } else {
      return usage("unknown option for init: " + flag);
    }
  }
  auto issued = pki::init_mesh_ca(o, now());
  if (!issued) return failure(issued.error());
  std::printf("mesh CA created in %s\n", o.dir.c_str());
  print_files(*issued);
  return 0;
}

int issue(const std::vector<std::string>& args) {
  pki::NodeOptions o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--force") {
      o.force = true;
      continue;
    }
    if (i + 1 >= args.size()) return usage("missing value for " + flag);
    const std::string& value = args[++i];
    if (flag == "--ca") {
      o.ca_dir = value;
    } else if (flag == "--node") {
      o.node_id = value;
    } else if (flag == "--out") {
      o.out_dir = value;
    } else if (flag == "--address") {
      o.addresses.push_back(value);
    } else if (flag == "--days") {
      if (!parse_days(value, &o.days)) return usage("--days takes 1..36500: " + value);
    } else {
      return usage("unknown option for issue: " + flag);
    }
  }
  if (o.ca_dir.empty() || o.node_id.empty() || o.out_dir.empty())
    return usage("issue needs --ca DIR, --node ID and --out DIR");
  auto issued = pki::issue_node(o, now());
  if (!issued) return failure(issued.error());
  std::printf("node %s issued by the CA in %s\n", o.node_id.c_str(), o.ca_dir.c_str());
  print_files(*issued);
  return 0;
}

// A PEM certificate, or a DER one.
Result<pki::Bytes> read_certificate(const std::string& path) {
  auto text = pki::read_small_file(path);
  if (!text) return std::unexpected(text.error());
  if (text->find("-----BEGIN") == std::string::npos) return pki::Bytes(text->begin(), text->end());
  auto der = pki::pem_decode(pki::kPemCertificate, *text);
  if (!der) return fail(der.error().code, path + ": " + der.error().detail);
  return der;
}

void print_info(const pki::CertificateInfo& info, std::chrono::sys_seconds t) {
  std::printf("subject: %s\n", info.subject.c_str());
  std::printf("issuer: %s\n", info.issuer.c_str());
  std::printf("serial: %s\n", info.serial.c_str());
  std::printf("algorithm: %s\n", info.algorithm.c_str());
  std::printf("ca: %s\n", info.is_ca ? "yes" : "no");
  std::printf("not_before: %s\n", pki::rfc3339(info.not_before).c_str());
  std::printf("not_after: %s\n", pki::rfc3339(info.not_after).c_str());
  // Whole days, rounded down; negative once expired.
  const auto left = std::chrono::floor<std::chrono::days>(info.not_after - t);
  std::printf("days_left: %lld\n", static_cast<long long>(left.count()));
  const char* state = t < info.not_before  ? "not yet valid"
                      : t > info.not_after ? "expired"
                                           : "valid";
  std::printf("validity: %s\n", state);
  for (const std::string& san : info.subject_alt_names) std::printf("san: %s\n", san.c_str());
}

// Verifies `der` against the CA certificate at ca_path: the composite verifier, or OpenSSL's
// chain verification for an Ed25519 certificate.
Result<pki::CertificateInfo> verify_against(const pki::Bytes& der, bool composite,
                                            const std::string& ca_path,
                                            std::chrono::sys_seconds t) {
  auto ca = read_certificate(ca_path);
  if (!ca) return std::unexpected(ca.error());
  if (composite) return pki::verify_composite_certificate(der, *ca, t);
  auto cert = pki::parse_certificate(der);
  auto ca_cert = pki::parse_certificate(*ca);
  if (!cert) return std::unexpected(cert.error());
  if (!ca_cert) return std::unexpected(ca_cert.error());
  return pki::verify_ed25519_certificate(cert->get(), ca_cert->get(), t);
}

// Prints `verified:` against the CA certificate of the same kind in ca_dir; false when it fails.
bool print_verification(const pki::Bytes& der, const pki::CertificateInfo& info,
                        const std::string& ca_dir, std::chrono::sys_seconds t) {
  const bool composite = info.algorithm == pqc::CompositeSignature::kName;
  const std::string ca_path =
      (std::filesystem::path(ca_dir) / (composite ? pki::kCaCompositeCert : pki::kCaEd25519Cert))
          .string();
  std::error_code ec;
  if (!std::filesystem::exists(ca_path, ec)) {
    std::printf("verified: unknown (no %s; --ca DIR names the CA directory)\n", ca_path.c_str());
    return true;
  }
  const auto result = verify_against(der, composite, ca_path, t);
  if (!result) {
    std::printf("verified: no (%s): %s\n", ca_path.c_str(), result.error().detail.c_str());
    return false;
  }
  std::printf("verified: yes (%s)\n", ca_path.c_str());
  return true;
}

int show(const std::vector<std::string>& args) {
  std::string file, ca_dir;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--ca" && i + 1 < args.size()) {
      ca_dir = args[++i];
    } else if (file.empty() && !args[i].starts_with("--")) {
      file = args[i];
    } else {
      return usage("unexpected argument for show: " + args[i]);
    }
  }
  if (file.empty()) return usage("show needs a FILE");
  if (ca_dir.empty()) {
    const std::filesystem::path parent = std::filesystem::path(file).parent_path();
    ca_dir = (parent.empty() ? std::filesystem::path(".") : parent).string();
  }
  auto der = read_certificate(file);
  if (!der) return failure(der.error());
  auto cert = pki::parse_certificate(*der);
  if (!cert) return failure({cert.error().code, file + ": " + cert.error().detail});
  auto info = pki::describe_certificate(cert->get());
  if (!info) return failure({info.error().code, file + ": " + info.error().detail});
  const auto t = now();
  std::printf("file: %s\n", file.c_str());
  print_info(*info, t);
  return print_verification(*der, *info, ca_dir, t) ? 0 : 1;
}

}  // namespace

int pki_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage("missing subcommand");
  if (args[0] == "init") return init(args);
  if (args[0] == "issue") return issue(args);
  if (args[0] == "show") return show(args);
  if (args[0] == "--help" || args[0] == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  return usage("unknown subcommand: " + args[0]);
}

}  // namespace x0::app
