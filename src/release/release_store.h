// Durable release state: <data_dir>/releases.json, rewritten whole on every state change with
// temp file + fsync + rename + fsync(dir), so after a crash (kill -9, power loss) the file is
// either the previous or the new version, never a mix. A file that fails to decode is moved
// aside as releases.json.corrupt-<unix ms> and the node starts with no releases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "release/release.h"

namespace x0::release {

struct StoredReleases {
  uint64_t next_sequence = 1;     // release ids are "<service>-<sequence>"
  std::vector<Release> releases;  // active ones and the most recent finished ones
  bool operator==(const StoredReleases&) const = default;
};

// {"format":1,"next_sequence":N,"releases":[<release with history>...]}.
std::string encode_releases(const StoredReleases& s);
// Strict: any missing or mistyped field, invalid spec, or two active releases for one service is
// an error (code "store_corrupt").
x0::Result<StoredReleases> decode_releases(std::string_view text);

struct LoadOutcome {
  StoredReleases state;        // empty when the file was missing or corrupt
  std::optional<Error> error;  // set when the file existed but could not be used
  std::string moved_to;        // where the corrupt file was put aside ("" if not moved)
};

class ReleaseStore {
 public:
  explicit ReleaseStore(std::string data_dir);

  // Creates data_dir if needed; writes atomically and durably. Error code "store_failed".
  x0::Result<void> save(const StoredReleases& s) const;
  // Missing file: empty state, no error. Corrupt: moved aside, logged at ERROR, empty state.
  LoadOutcome load(int64_t now_unix_ms) const;

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace x0::release
