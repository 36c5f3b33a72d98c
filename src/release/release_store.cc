// releases.json read/write (see release_store.h). POSIX calls directly: std::ofstream cannot
// fsync, and the durability argument rests on fsync(file) before rename and fsync(dir) after.
#include "release/release_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/log.h"
#include "release/release_json.h"

namespace x0::release {
namespace {

constexpr int kFormat = 1;
constexpr size_t kMaxFileBytes = 64 * 1024 * 1024;
constexpr uint64_t kMaxSequence = uint64_t{1} << 53;  // never wraps, exact in any JSON reader

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

class Fd {  // RAII for a file descriptor
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

x0::Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return x0::fail(Errc::kStoreFailed, errno_text("write " + path));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

x0::Result<void> fsync_dir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return x0::fail(Errc::kStoreFailed, errno_text("open " + dir));
  if (::fsync(d.get()) != 0) return x0::fail(Errc::kStoreFailed, errno_text("fsync " + dir));
  return {};
}

std::unexpected<Error> corrupt(std::string detail) {
  return x0::fail(Errc::kStoreCorrupt, std::move(detail));
}

}  // namespace

std::string encode_releases(const StoredReleases& s) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : s.releases) list.push_back(to_json(r, true));
  nlohmann::json j = {{"format", kFormat}, {"next_sequence", s.next_sequence}, {"releases", list}};
  return j.dump(2) + "\n";
}

x0::Result<StoredReleases> decode_releases(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt("not valid JSON");
  if (!j.is_object()) return corrupt("expected a JSON object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_number_unsigned() || format->get<uint64_t>() != kFormat)
    return corrupt("unknown format (expected 1)");
  auto seq = j.find("next_sequence");
  if (seq == j.end() || !seq->is_number_unsigned() || seq->get<uint64_t>() == 0 ||
      seq->get<uint64_t>() > kMaxSequence)
    return corrupt("next_sequence: expected an integer in 1..2^53");
  auto list = j.find("releases");
  if (list == j.end() || !list->is_array()) return corrupt("releases: expected a list");
  StoredReleases out;
  out.next_sequence = seq->get<uint64_t>();
  std::set<std::string> ids, active_services;
  for (const auto& item : *list) {
    auto r = release_from_json(item);
    if (!r) return corrupt(r.error().detail);
    if (!ids.insert(r->id).second) return corrupt("duplicate release id " + r->id);
    if (is_active(*r) && !active_services.insert(r->service).second)
      return corrupt("two active releases for service " + r->service);
    out.releases.push_back(std::move(*r));
  }
  return out;
}

ReleaseStore::ReleaseStore(std::string data_dir)
    : dir_(std::move(data_dir)), path_(dir_ + "/releases.json") {}

x0::Result<void> ReleaseStore::save(const StoredReleases& s) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return x0::fail(Errc::kStoreFailed, "create " + dir_ + ": " + ec.message());
  const std::string tmp = path_ + ".tmp";
  const std::string text = encode_releases(s);
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return x0::fail(Errc::kStoreFailed, errno_text("open " + tmp));
    if (auto ok = write_all(fd.get(), text, tmp); !ok) return ok;
    if (::fsync(fd.get()) != 0) return x0::fail(Errc::kStoreFailed, errno_text("fsync " + tmp));
    if (::close(fd.release()) != 0) return x0::fail(Errc::kStoreFailed, errno_text("close " + tmp));
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    return x0::fail(Errc::kStoreFailed, errno_text("rename " + tmp));
  return fsync_dir(dir_);
}

LoadOutcome ReleaseStore::load(int64_t now_unix_ms) const {
  LoadOutcome out;
  ::unlink((path_ + ".tmp").c_str());  // a write interrupted before its rename; never valid
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 && errno == ENOENT) return out;
  std::string text;
  std::optional<Error> err;
  if (fd.get() < 0) {
    err = Error{Errc::kStoreCorrupt, errno_text("open " + path_)};
  } else {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        err = Error{Errc::kStoreCorrupt, errno_text("read " + path_)};
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > kMaxFileBytes) {
        err = Error{Errc::kStoreCorrupt, "larger than 64 MiB"};
        break;
      }
    }
  }
  if (!err) {
    auto decoded = decode_releases(text);
    if (decoded) {
      out.state = std::move(*decoded);
      return out;
    }
    err = decoded.error();
  }
  err->detail = path_ + ": " + err->detail;
  std::string aside = path_ + ".corrupt-" + std::to_string(now_unix_ms);
  if (::rename(path_.c_str(), aside.c_str()) == 0) {
    out.moved_to = aside;
    (void)fsync_dir(dir_);
  }
  log::error("RELEASE", "release state file unusable; starting with no releases",
             {{"error", err->detail}, {"moved_to", out.moved_to.empty() ? "(not moved)" : aside}});
  out.error = std::move(err);
  return out;
}

}  // namespace x0::release
