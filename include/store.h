/*
 * store: where downloads land.  Maps a URL to a safe relative path, writes a
 * transfer into an invisible file and publishes it under its final name in
 * one atomic step, picks "name.1", "name.2", ... on collisions, and keeps or
 * resumes "NAME.part" files for -c.
 *
 * A final name only ever appears complete: data goes to an anonymous
 * O_TMPFILE (or, where that is unsupported, to "NAME.part") and is linked
 * into place by store_commit(), which never replaces an existing file.
 * Names ending in ".part" are reserved for in-progress files: no final name
 * produced here ends that way.
 */
#ifndef FA_STORE_H
#define FA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* Caps on what store_name_for_url() produces (bytes, without the NUL).
 * A component stays at most STORE_COMPONENT_MAX so that ".part", a ".999"
 * collision suffix and store's own temporary names fit under NAME_MAX.  A
 * buffer of STORE_PATH_MAX + 1 bytes always holds a result. */
#define STORE_COMPONENT_MAX 200
#define STORE_PATH_MAX      1024
#define STORE_DEPTH_MAX     32

/* The highest collision suffix store_commit() tries ("name.999"). */
#define STORE_COLLISIONS_MAX 999

enum store_flags {
	STORE_CONTINUE = 1 << 0,      /* -c: resume NAME.part, skip existing */
	STORE_NO_CLOBBER = 1 << 1,    /* skip names that already exist */
	STORE_NO_TMPFILE = 1 << 2,    /* never use O_TMPFILE: write NAME.part;
					 for tests and exotic file systems */
	STORE_HTML_EXT = 1 << 3,      /* a mirror: an HTML page may be saved
					 as NAME.html (store_commit_html) */
	STORE_NO_XATTR = 1 << 4,      /* keep records in sidecar files, as on a
					 file system without user xattrs; for
					 tests */
	STORE_TIMESTAMPING = 1 << 5,  /* -N: a saved copy of the URL is opened
					 to be replaced (store_current) */
	STORE_NO_LINK_BY_FD = 1 << 6, /* link O_TMPFILE files through
					 /proc/self/fd even where linkat's
					 AT_EMPTY_PATH works, as for a user
					 without CAP_DAC_READ_SEARCH; for
					 tests */
};

/* Whether name (one component) already ends in ".html" or ".htm", any
 * case.  Pure. */
bool store_has_html_ext(const char *name);

struct store;
struct store_file;

/*
 * Whose bytes a file holds, kept with the file itself (an extended
 * attribute, "user.fetchall", on the .part and on the saved file): the URL
 * and the validators of the response the bytes came from.  -c resumes a
 * .part only for its own URL, with If-Range on the validator, and checks
 * a 206's total against total; -c and --no-clobber skip a saved file only
 * when it is this URL's.  Where the file system has no user extended
 * attributes (found when the store opens), the record goes to a sidecar
 * file beside it, "NAME.fetchall.part.part" (no final name or .part can
 * have that name), written when the file gets its name and removed with
 * it.  A file with no record at all (made by another tool, or a URL too
 * long to record) is treated as made by another tool: resumed only at the
 * URL's own name, as wget -c would, guarded by the 206 checks.
 */
#define STORE_RECORD_MAX 4096 /* bytes of one record, as stored */

struct store_record {
	const char *url;           /* never NULL in a record read back */
	const char *etag;          /* strong ETag, quotes included; "" if none */
	const char *last_modified; /* as the server sent it; "" if none */
	long long total;           /* the resource's length; -1 if unknown */
	bool converted;            /* --convert-links rewrote its links to
				      local paths (store_rewrite) */
};

/* -N: the saved copy of a URL a store_file may replace. */
struct store_current {
	struct store_record record;                  /* its record (fields NULL if none) */
	bool recorded;                               /* it has one */
	long long size;                              /* bytes */
	time_t mtime;                                /* modification time (the server's
							Last-Modified when fetchall saved it) */
	char path[STORE_PATH_MAX + sizeof(".html")]; /* relative path */
};

/*
 * Reads the record of the file saved at relpath (below the output
 * directory; borrowed) into *rec, its strings inside buf
 * (STORE_RECORD_MAX bytes).  Returns whether it has one.  Thread-safe.
 */
bool store_saved_record(struct store *store, const char *relpath, char *buf,
			struct store_record *rec);

/*
 * Maps url to a relative path for saving it, written NUL-terminated to out.
 *
 * Flat mode (tree false): the percent-decoded last path segment, or
 * "index.html" when that segment is empty.  Tree mode (like wget -x):
 * "host[:port]/dir/.../name", the host lowercased, the port only when it is
 * not the scheme's default.  A query is folded in before the extension:
 * "photo.jpg?w=200&h=1" gives "photo_w=200_h=1.jpg" (bytes other than
 * [A-Za-z0-9._=-] become '_', at most 64 of them are kept).  The fragment
 * is ignored.
 *
 * Every component is made safe: decoded, then NUL, '/', '\\' and control
 * bytes become '_' (so "%2F" never separates); empty components are
 * dropped; "." and ".." become "_" and "__"; a leading '-' becomes '_';
 * at most STORE_COMPONENT_MAX bytes (a short extension, up to 10 bytes, is
 * kept when cutting); a name ending in ".part" (any case) gets a trailing
 * '_'.  The result is never absolute, never empty, holds no "." or ".."
 * component, and stays within STORE_PATH_MAX bytes and STORE_DEPTH_MAX
 * components: past those caps, later directories are dropped and the file
 * name is kept.  Other bytes (including invalid UTF-8) are kept as they are.
 *
 * Returns FA_OK; FA_ERR_URL if libcurl cannot parse url (or, in tree mode,
 * it has no host); FA_ERR_TOO_LONG if out (outlen bytes) is too small, with
 * out left as an empty string; FA_ERR_ARG for NULL arguments or outlen 0;
 * FA_ERR_NOMEM.  Pure (no I/O, no shared state): thread-safe.
 */
enum fa_err store_name_for_url(const char *url, bool tree, char *out, size_t outlen);

/*
 * Makes raw, a file name a server suggests (NUL-terminated bytes, such as
 * disposition_filename() gives; not percent-decoded), into one safe
 * component in out: NUL-free, '/', '\\' and control bytes become '_', and
 * the rules of store_name_for_url()'s components apply (no "." or "..",
 * no leading '-', at most STORE_COMPONENT_MAX bytes keeping a short
 * extension, not ending in ".part").
 *
 * Returns FA_OK; FA_ERR_NAME if raw is empty; FA_ERR_TOO_LONG if out
 * (outlen bytes) is too small, with out an empty string; FA_ERR_ARG;
 * FA_ERR_NOMEM.  Pure: thread-safe.
 */
enum fa_err store_component(const char *raw, char *out, size_t outlen);

/*
 * Opens (creating it and its parents if missing, like mkdir -p) the output
 * directory dir and checks that a file can be created in it, by creating
 * and removing one.  Detects once whether O_TMPFILE works there.  flags is
 * a set of enum store_flags.
 *
 * Returns FA_OK and a new store in *out (free with store_free()).  On
 * failure returns FA_ERR_IO (or FA_ERR_NOMEM, FA_ERR_THREAD, FA_ERR_ARG),
 * leaves *out NULL and, if errbuf is not NULL, writes to it (errlen bytes,
 * NUL-terminated) a one-line reason naming dir and the system's error text,
 * e.g. "cannot write to output directory 'x': Permission denied".
 * dir is borrowed for the call only.  Not thread-safe with respect to the
 * store it creates (there is none yet); call it before starting workers.
 */
enum fa_err store_new(const char *dir, unsigned flags, struct store **out, char *errbuf,
		      size_t errlen);

/*
 * A store for one file the user names (-O FILE): path is FILE, or "-" for
 * standard output.  store_one_file() then gives the one relpath
 * store_open() takes, and final and existing paths are path as given.
 *
 * - A regular file, or nothing yet (its directory is created if missing,
 *   like store_new()'s): the store's directory is path's, at slot 0 of
 *   path's last component only, and the commit replaces path atomically
 *   (rename), once the data is whole; nothing replaces it before, so a
 *   failure leaves path as it was.  With STORE_CONTINUE, path.part of this
 *   URL (or with no record) is resumed, path with no record is continued
 *   (wget -c) and path recorded for this URL is done (FA_ERR_EXISTS); what
 *   another URL left at either name is replaced.  With STORE_NO_CLOBBER an
 *   existing path is done.  A symbolic link at path is followed: the file
 *   it names is replaced.
 * - "-", or an existing device or FIFO (/dev/null): the store streams
 *   (store_streams()).  store_write() writes straight through; no record,
 *   no .part; store_restart() after the first byte fails with
 *   FA_ERR_STREAMED; commit and abort leave what was written.  Standard
 *   output is not closed by store_free().
 *
 * Returns as store_new() does; also FA_ERR_NAME (errbuf says why) for a
 * path that names a directory ("out/") or whose last component could not
 * be a final name (".", "..", "x.part", over STORE_COMPONENT_MAX bytes),
 * FA_ERR_IO for a directory or a device that cannot be opened.  path is
 * copied.  Call before starting workers.
 */
enum fa_err store_new_file(const char *path, unsigned flags, struct store **out, char *errbuf,
			   size_t errlen);

/* The path a store_new_file() store saves to, as given (its relpath for
 * store_open()); NULL for a store of a directory.  Thread-safe. */
const char *store_one_file(const struct store *store);

/* Whether file's bytes go straight out as written (a streaming store):
 * nothing to buffer, nothing to take back.  One thread at a time. */
bool store_streams(const struct store_file *file);

/*
 * Closes the output directory and frees store.  NULL is allowed.  Every
 * store_file opened on it must have been committed or aborted first.  Not
 * thread-safe: call it after every worker is done with store.
 */
void store_free(struct store *store);

/*
 * Starts a file to be saved at relpath (a relative path as made by
 * store_name_for_url(); borrowed for the call only) for url (borrowed; it
 * is recorded with the bytes; NULL: no identity, as for a file made by
 * another tool) below the output directory.  Missing directories are
 * created; no symbolic link in the output directory is ever followed, for
 * directories or files.
 *
 * Two URLs can map to one name.  Each holds a slot: the name itself or
 * "name.1", "name.2", ..., the first that no other URL holds, where a name
 * is held by the URL of the record on the saved file or its .part, or by a
 * store_file of this store open right now.  A saved file or .part with no
 * record is held by the URL at slot 0 (the name itself) only.
 *
 * - STORE_NO_CLOBBER or STORE_CONTINUE: a saved file in this URL's slot
 *   means done: returns FA_ERR_EXISTS and its relative path in
 *   *existing_relpath (caller frees; may be NULL if not wanted).
 *   With STORE_NO_CLOBBER alone, a saved file with no record at the name
 *   itself is done too (wget -nc).
 * - STORE_CONTINUE: the slot's "NAME.part" (this URL's, or one with no
 *   record at slot 0) is reopened, and a saved file with no record at the
 *   name itself (cut short, or made by another tool) becomes the base to
 *   continue (wget -c): store_offset() gives the bytes held, where the
 *   transfer resumes, and store_resumed() their record.  A continued base
 *   is replaced by the commit, never changed in place.
 * - Otherwise a new, empty, invisible file; store_offset() is 0.
 *
 * Returns FA_OK and a new store_file in *out, which the caller must end
 * with store_commit() or store_abort().  FA_ERR_NAME if relpath is absolute,
 * empty, has an empty, "." or ".." component or ends in ".part";
 * FA_ERR_TOO_LONG if a component is over STORE_COMPONENT_MAX, the path
 * over STORE_PATH_MAX or STORE_DEPTH_MAX components; FA_ERR_IO with errno set when the file system
 * refuses (for instance ELOOP or ENOTDIR where a symbolic link or a file
 * stands in place of a directory); FA_ERR_DISK_FULL; FA_ERR_NOMEM;
 * FA_ERR_EXISTS (above, or all slots held).  On failure *out is NULL and
 * nothing is left behind but created directories.  Thread-safe: any
 * number of threads may open, commit and abort files of one store at once.
 */
enum fa_err store_open(struct store *store, const char *relpath, const char *url,
		       struct store_file **out, char **existing_relpath);

/*
 * The record of the bytes store_open() resumed (a .part's, or for a base
 * with no record, one with only the URL and total -1), or NULL when it
 * resumed nothing.  Valid until the file ends.  One thread at a time.
 */
const struct store_record *store_resumed(const struct store_file *file);

/*
 * With STORE_TIMESTAMPING (and not STORE_NO_CLOBBER): when store_open()
 * found this URL's saved file in its slot (or, at the name itself, a file
 * with no record), file is a fresh one that store_commit() puts in that
 * file's place (NAME.html for a mirror's page), replacing it atomically;
 * store_abort() leaves the saved copy as it is.  This returns what that
 * copy is, for the conditional request; NULL when there is none.  Valid
 * until the file ends.
 */
const struct store_current *store_current(const struct store_file *file);

/*
 * -N with a server-chosen name (-J): the response names the file `name`
 * (store_component() made safe) in the URL's directory, and a regular
 * file there, recorded as this URL's or with no record, becomes the saved
 * copy store_current() returns, which store_commit_as() with that name
 * then replaces (in place, never as name.1).  Returns whether it did;
 * false when file already has a saved copy or the store is not
 * timestamping.
 */
bool store_current_as(struct store_file *file, const char *name);

/*
 * Sets the modification time of file's data to mtime (the server's
 * Last-Modified), as wget does; call it after the last write, right before
 * the commit.  FA_OK (also when nothing was written), or FA_ERR_IO.
 */
enum fa_err store_set_mtime(struct store_file *file, time_t mtime);

/*
 * Records, with file's bytes, its URL and the validators of the response
 * they come from (etag and last_modified: NULL or "" for none; total -1
 * if unknown); call it when a response's body is accepted.  Returns FA_OK,
 * also where the file system keeps no record (see store_record); FA_ERR_IO
 * otherwise.  One thread at a time per file.
 */
enum fa_err store_set_record(struct store_file *file, const char *etag, const char *last_modified,
			     long long total);

/*
 * The number of bytes file holds: right after store_open(), the offset to
 * resume from (send "Range: bytes=OFFSET-" when it is not 0).  Not
 * thread-safe on one file: a store_file belongs to one thread at a time.
 */
off_t store_offset(const struct store_file *file);

/*
 * Appends len bytes from buf (borrowed for the call) to file, retrying
 * short writes and EINTR.  Returns FA_OK; FA_ERR_DISK_FULL on ENOSPC or
 * EDQUOT; FA_ERR_IO otherwise (store_errno() tells which).  After a failure
 * some of the bytes may have been written; store_offset() counts them.  One
 * thread at a time per file.
 */
enum fa_err store_write(struct store_file *file, const void *buf, size_t len);

/* The errno of file's last failed system call, 0 if none.  One thread at a
 * time per file. */
int store_errno(const struct store_file *file);

/*
 * Empties file and rewinds it to offset 0, for a server that ignored our
 * Range request and sends the whole body (a continued base is dropped:
 * the commit still replaces it).  Returns FA_OK or FA_ERR_IO
 * (store_errno() tells why).  One thread at a time per file.
 */
enum fa_err store_restart(struct store_file *file);

/*
 * Publishes file atomically under its final name, or, when that name is
 * taken (by an earlier run, or by another URL of this run mapped to the
 * same name), under the first free "name.1" ... "name.999"; with
 * STORE_NO_CLOBBER or STORE_CONTINUE the names tried start at the URL's
 * slot.  An existing file is never replaced, except a base continued
 * under -c (see store_open), which is replaced atomically.  Data need not be synced first; it is
 * all written.
 *
 * Returns FA_OK and, in *final_relpath, the relative path actually used
 * (caller frees with free(); final_relpath may be NULL if not wanted).
 * FA_ERR_EXISTS when all 1000 names are taken;
 * FA_ERR_IO (errno set), FA_ERR_DISK_FULL or FA_ERR_NOMEM otherwise, with
 * *final_relpath NULL and the data discarded as by store_abort(file, false).
 * Takes ownership of file and frees it in every case.  Thread-safe across
 * files of one store.
 */
enum fa_err store_commit(struct store_file *file, char **final_relpath);

/*
 * store_commit() under another file name: name (one component, as made by
 * store_component(); borrowed for the call) takes the place of the last
 * component of the path file was opened with, in the same directory.  The
 * NAME.part of -c keeps the path file was opened with, so an interrupted
 * transfer resumes from it whatever name the server suggests.
 *
 * As store_commit(), except: FA_ERR_NAME if name is not a valid component
 * (the data is discarded); and with STORE_NO_CLOBBER or STORE_CONTINUE an
 * existing name gives FA_ERR_EXISTS at once (the data is discarded and the
 * caller reports the URL skipped), where store_commit() would try "name.1"
 * and on: only a name derived from the URL is known to be this URL's.
 * name NULL is store_commit().  Takes ownership of file.  Thread-safe
 * across files of one store.
 */
enum fa_err store_commit_as(struct store_file *file, const char *name, char **final_relpath);

/*
 * store_commit() for an HTML page in a mirror (STORE_HTML_EXT): the name
 * gets ".html" unless it ends in ".html" or ".htm" already, as wget -E
 * does, so that a page "/blog" ("blog.html") never stands where the
 * directory of "/blog/post1" must go, and "/docs" ("docs.html") never meets
 * the directory of "/docs/".  Collisions go on as "blog.html.1", ..., from
 * the URL's slot.  store_open() with -c/-nc finds this URL's page under
 * either name.  Without STORE_HTML_EXT it is store_commit().  Takes
 * ownership of file.  Thread-safe across files of one store.
 */
enum fa_err store_commit_html(struct store_file *file, char **final_relpath);

/*
 * Whether store_commit_as(file, name, ...) would find name taken and skip:
 * STORE_NO_CLOBBER or STORE_CONTINUE is set and something (a link
 * included) exists under name in file's directory.  Lets a transfer stop
 * as soon as the server names its file.  Thread-safe across files.
 */
bool store_name_taken(const struct store_file *file, const char *name);

/*
 * Replaces the content of the regular file saved at relpath (below the
 * output directory; borrowed) with len bytes of data, atomically: the new
 * content goes to a temporary name beside it and is renamed over the old,
 * so the file is always whole, old or new.  For rewriting what this run
 * saved (--convert-links); the store's flags do not apply.  The file's
 * record goes with it, marked converted.  No symbolic
 * link is followed: a link or directory at relpath is refused (FA_ERR_IO,
 * errno EINVAL).  Returns FA_OK; FA_ERR_IO (errno set), FA_ERR_DISK_FULL,
 * FA_ERR_NAME or FA_ERR_TOO_LONG for relpath as store_open(); FA_ERR_NOMEM;
 * FA_ERR_ARG.  On failure the old file is untouched and no temporary is
 * left.  Thread-safe across files of one store.
 */
enum fa_err store_rewrite(struct store *store, const char *relpath, const void *data, size_t len);

/*
 * Reads the regular file saved at relpath (below the output directory;
 * borrowed), without following a symbolic link anywhere on the way, into
 * a new NUL-terminated buffer *data (caller frees) of *len bytes.  For
 * files an earlier run saved (a crawl resumed with -c re-reads its pages,
 * and --convert-links rewrites them).  Returns FA_OK; FA_ERR_TOO_LONG if
 * the file is over max bytes; FA_ERR_IO (errno set; EINVAL for a link or
 * directory); FA_ERR_NAME or FA_ERR_TOO_LONG for relpath as store_open();
 * FA_ERR_NOMEM; FA_ERR_ARG.  Thread-safe.
 */
enum fa_err store_read(struct store *store, const char *relpath, size_t max, char **data,
		       size_t *len);

/*
 * Ends file without publishing it.  If keep_part is true and file holds at
 * least one byte, the bytes are kept, with their record, as the slot's
 * "NAME.part" for a later -c run, replacing an older one of the same URL
 * (or one with no record at slot 0); a continued base whose bytes were
 * never copied stays as it was.  Otherwise
 * everything is removed, including a "NAME.part" that was resumed (after
 * FA_ERR_DISK_FULL, pass false).  Takes ownership of file and frees it.
 * NULL is allowed.  Thread-safe across files of one store.
 */
void store_abort(struct store_file *file, bool keep_part);

#endif
