// PKI file handling (see pki_files.h).
#include "tls/pki/pki_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace x0::tls::pki {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<void> make_private_dir(const std::string& dir) {
  std::filesystem::path built;
  for (const auto& part : std::filesystem::path(dir)) {
    built /= part;
    if (::mkdir(built.c_str(), kDirMode) != 0 && errno != EEXIST)
      return fail(Errc::kIoError,
                  "cannot create directory " + built.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::kIoError, dir + " is not a directory");
  return {};
}

Result<void> refuse_existing(const std::vector<std::string>& paths, bool force) {
  if (force) return {};
  for (const std::string& path : paths) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
      return fail(Errc::kConflict, path + " already exists (not overwritten; --force replaces it)");
  }
  return {};
}

Result<void> write_new_file(const std::string& path, std::span<const uint8_t> content, mode_t mode,
                            bool force) {
  if (force && ::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(Errc::kIoError, "cannot replace " + path + ": " + errno_text());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return fail(Errc::kConflict, path + " already exists (not overwritten; --force replaces it)");
    return fail(Errc::kIoError, "cannot create " + path + ": " + errno_text());
  }
  // open's mode is filtered by the umask; a key must end up exactly 0600 whatever it is.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  const std::string why = errno_text();
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return fail(Errc::kIoError, "cannot write " + path + ": " + why);
  }
  return {};
}

Result<void> write_new_file(const std::string& path, std::string_view content, mode_t mode,
                            bool force) {
  return write_new_file(
      path,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(content.data()), content.size()),
      mode, force);
}

Result<std::string> read_small_file(const std::string& path) {
  constexpr size_t kMax = 1 << 20;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kIoError, "cannot read " + path + ": " + errno_text());
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || out.size() + static_cast<size_t>(n) > kMax) {
      const bool bad = n != 0;
      ::close(fd);
      if (bad) return fail(Errc::kIoError, "cannot read " + path + " (unreadable or over 1 MiB)");
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace x0::tls::pki
