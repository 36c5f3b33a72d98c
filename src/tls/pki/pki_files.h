// The PKI's files on disk: private keys 0600 and directories 0700, created with O_EXCL so an
// existing file is never replaced by accident (only with force, which unlinks it first so the
// new file gets the new mode), and all files checked before any is written.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace x0::tls::pki {

inline constexpr mode_t kKeyMode = 0600, kCertificateMode = 0644, kDirMode = 0700;

// mkdir -p with mode 0700 for every directory it creates (existing ones are left as they are).
Result<void> make_private_dir(const std::string& dir);
// "conflict" naming the first path that exists, unless force.
Result<void> refuse_existing(const std::vector<std::string>& paths, bool force);
Result<void> write_new_file(const std::string& path, std::span<const uint8_t> content, mode_t mode,
                            bool force);
Result<void> write_new_file(const std::string& path, std::string_view content, mode_t mode,
                            bool force);
// "io_error" naming the file (missing, unreadable, over 1 MiB).
Result<std::string> read_small_file(const std::string& path);

}  // namespace x0::tls::pki
