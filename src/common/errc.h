// The node's error codes: what an x0::Error (common/result.h) says went wrong, one enumerator per
// failure a caller or an operator tells apart, grouped by the modules that raise it. errc_name()
// is the code's stable snake_case word: JSON bodies ({"error":"<name>"}), log lines (code=<name>)
// and runbooks read it, so a name never changes once shipped; an enumerator can be renamed freely.
//
// gateway/error_code.h is a different thing: the data plane's answers to clients, each with its
// HTTP status. Errc is what library and control-plane functions return in Result<T>; it gets an
// HTTP status only where an admin API answers with it, and each API picks its own (admin/*_api.cc,
// incident/incident_json.cc). The two share a few words (bad_request) but no type.
#pragma once

#include <iosfwd>
#include <string_view>

namespace x0 {

enum class Errc {
  // Any module: the caller's request, or the object it names.
  kBadRequest,
  kNotFound,
  kConflict,
  // config/ and autopilot/: files read at start-up and on reload.
  kConfigInvalid,
  kConfigUnreadable,
  kPolicyInvalid,
  kPolicyUnreadable,
  // net/, http/ client, app/ webhooks: talking to peers.
  kSocketFailed,
  kBindFailed,
  kListenFailed,
  kConnectFailed,
  kResolveFailed,
  kTimedOut,
  kIoError,
  kBadResponse,
  kBodyTooLarge,
  kBadUrl,
  kUnsupported,
  // cache/ and admin/ cache API.
  kSnapshotWrite,
  kWarmFailed,
  // release/ and incident/: lifecycle rules.
  kInvalidState,
  kInvalidTransition,
  kSmokeFailed,
  kSmokeUnavailable,
  // release/ and incident/ stores: the storage under a module failed, not the caller
  // (is_store_error()).
  kStoreFailed,
  kStoreCorrupt,
  kStoreTooNew,
  kStoreUnavailable,
  kStoreFull,
  kStoreBusy,
  kStoreError,
  // pqc/ and tls/: keys, signatures and the crypto library under them.
  kWrongSize,
  kInvalidKey,
  kContextTooLong,
  kUnknownHash,
  kSignFailed,
  kCryptoError,
  kCryptoFailure,

  kCount  // not a code: how many there are (tests/common/errc_test.cc walks them all)
};

constexpr std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return "bad_request";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kConflict:
      return "conflict";
    case Errc::kConfigInvalid:
      return "config_invalid";
    case Errc::kConfigUnreadable:
      return "config_unreadable";
    case Errc::kPolicyInvalid:
      return "policy_invalid";
    case Errc::kPolicyUnreadable:
      return "policy_unreadable";
    case Errc::kSocketFailed:
      return "socket_failed";
    case Errc::kBindFailed:
      return "bind_failed";
    case Errc::kListenFailed:
      return "listen_failed";
    case Errc::kConnectFailed:
      return "connect_failed";
    case Errc::kResolveFailed:
      return "resolve_failed";
    case Errc::kTimedOut:
      return "timed_out";
    case Errc::kIoError:
      return "io_error";
    case Errc::kBadResponse:
      return "bad_response";
    case Errc::kBodyTooLarge:
      return "body_too_large";
    case Errc::kBadUrl:
      return "bad_url";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kSnapshotWrite:
      return "snapshot_write";
    case Errc::kWarmFailed:
      return "warm_failed";
    case Errc::kInvalidState:
      return "invalid_state";
    case Errc::kInvalidTransition:
      return "invalid_transition";
    case Errc::kSmokeFailed:
      return "smoke_failed";
    case Errc::kSmokeUnavailable:
      return "smoke_unavailable";
    case Errc::kStoreFailed:
      return "store_failed";
    case Errc::kStoreCorrupt:
      return "store_corrupt";
    case Errc::kStoreTooNew:
      return "store_too_new";
    case Errc::kStoreUnavailable:
      return "store_unavailable";
    case Errc::kStoreFull:
      return "store_full";
    case Errc::kStoreBusy:
      return "store_busy";
    case Errc::kStoreError:
      return "store_error";
    case Errc::kWrongSize:
      return "wrong_size";
    case Errc::kInvalidKey:
      return "invalid_key";
    case Errc::kContextTooLong:
      return "context_too_long";
    case Errc::kUnknownHash:
      return "unknown_hash";
    case Errc::kSignFailed:
      return "sign_failed";
    case Errc::kCryptoError:
      return "crypto_error";
    case Errc::kCryptoFailure:
      return "crypto_failure";
    case Errc::kCount:
      break;
  }
  return {};
}

// The storage under a module failed (disk, SQLite, a corrupt or too-new file), as opposed to a
// refused request: these are the errors a store logs itself before returning them.
constexpr bool is_store_error(Errc code) {
  switch (code) {
    case Errc::kStoreFailed:
    case Errc::kStoreCorrupt:
    case Errc::kStoreTooNew:
    case Errc::kStoreUnavailable:
    case Errc::kStoreFull:
    case Errc::kStoreBusy:
    case Errc::kStoreError:
      return true;
    default:
      return false;
  }
}

// Writes errc_name(code), so test failures and streamed logs show the word, not a number.
std::ostream& operator<<(std::ostream& os, Errc code);

}  // namespace x0
