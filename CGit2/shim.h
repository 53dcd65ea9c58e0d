#ifndef PPDS_CGIT2_SHIM_H
#define PPDS_CGIT2_SHIM_H
#include <git2.h>
#include <zlib.h>

// git_libgit2_opts is variadic, which Swift cannot call: small typed wrappers.

/// Turns libgit2's owner check on or off (GIT_OPT_SET_OWNER_VALIDATION).
static inline int ppds_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

/// Registers extension names so repositories that use them can be opened
/// (GIT_OPT_SET_EXTENSIONS), e.g. "worktreeconfig".
static inline int ppds_git_set_extensions(const char **extensions, size_t count) {
    return git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, extensions, count);
}

/// Objects of `type` up to `bytes` stay in the repository's object cache
/// (GIT_OPT_SET_CACHE_OBJECT_LIMIT). The default keeps no tree over 4 KiB.
static inline int ppds_git_set_cache_object_limit(git_object_t type, size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, bytes);
}

/// Whether every object read is hashed again to check its id
/// (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, on by default).
static inline int ppds_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
