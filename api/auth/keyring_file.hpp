#pragma once

#include "api/auth/errc.hpp"
#include "api/auth/keyring.hpp"

#include <chrono>
#include <expected>
#include <filesystem>

namespace salonq::api::auth {

// Where the keyring lives without --keyring or SALONQ_KEYRING: <data>/auth/keyring.json.
[[nodiscard]] std::filesystem::path default_keyring_path(std::filesystem::path const& data_dir);

// The keyring file: JSON with every key's kid, secret (base64url) and creation time, oldest first (the last is
// current), and the link secret. Written with mode 0600 in a directory made 0700, replaced atomically (a new
// file, fsync, rename), changed under an flock of <file>.lock so that two `salonq keys rotate` do not lose a key.
// A file that group or others may read, that is not a regular file or that another user owns is refused
// (keyring_unsafe), as ssh refuses such a private key.

// Reads the keyring; io_error when there is none.
[[nodiscard]] std::expected<keyring, error> load_keyring(std::filesystem::path const& file);
// Reads the keyring, or creates one with fresh secrets when the file does not exist.
[[nodiscard]] std::expected<keyring, error> load_or_create_keyring(std::filesystem::path const& file,
                                                                   std::chrono::sys_seconds now);
// Adds a fresh current key (creating the file first if it is missing) and returns the new keyring.
[[nodiscard]] std::expected<keyring, error> rotate_keyring(std::filesystem::path const& file,
                                                           std::chrono::sys_seconds now);
// Drops the key kid (not the current one): tokens signed with it stop verifying once servers reload the keyring.
[[nodiscard]] std::expected<keyring, error> retire_key(std::filesystem::path const& file, std::string_view kid);

} // namespace salonq::api::auth
