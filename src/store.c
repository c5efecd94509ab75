/*
 * store: URL -> safe relative path, atomic publishing, collisions, resume.
 *
 * Names: store_name_for_url() parses with libcurl's URL API, splits the
 * still-encoded path on '/' and only then percent-decodes each segment, so
 * "%2F" can never make a separator; every component then passes one set of
 * rules (finish_component) that rules out traversal, option-like names,
 * over-long names and the ".part" names reserved for in-progress files.
 *
 * Files: a transfer writes into an anonymous O_TMPFILE in its final
 * directory and store_commit() links it into place with linkat(), one
 * directory operation that never replaces an existing name (DESIGN.md,
 * "Measured on this machine").  Where O_TMPFILE or linking it (by its
 * descriptor or through /proc/self/fd) does not work (probed once in
 * store_new), or with STORE_NO_TMPFILE, the data goes to "NAME.part"
 * instead, linked to the final name and then unlinked.  Collisions try
 * "name.1" ... "name.999"; linkat's EEXIST makes that race-free between
 * threads and processes.
 * Directories are opened one component at a time with O_NOFOLLOW, so a
 * symbolic link planted in the output directory is never followed; files
 * are only ever created with O_EXCL or O_TMPFILE, never opened through a
 * name that could be a link, except a resumed "NAME.part" (O_NOFOLLOW,
 * regular, one link).
 *
 * One file (-O FILE, store_new_file): the store's directory is FILE's, and
 * its one name is FILE's last component, at slot 0 only.  The same
 * anonymous file or NAME.part is written, and the commit renames it over
 * FILE (wget -O and curl -o replace FILE; here only once it is whole), so
 * a failure leaves FILE as it was.  -c resumes FILE.part as any .part.
 * "-", or a FILE that is a device or FIFO (/dev/null), cannot be made
 * atomically: that store streams, each store_write() going straight out,
 * and store_restart() after the first byte fails (FA_ERR_STREAMED), since
 * what was written cannot be taken back.
 *
 * Locking: struct store is read-only after store_new() except the claims,
 * the store_files that own their "NAME.part" right now, in SLOT_LOCKS
 * lists by hash of the name, each guarded by the slot lock of that hash,
 * and the directory cache, guarded by store->lock.  A name is checked
 * (claimed? what is on disk?) and claimed as one step under that name's
 * slot lock, so two files of one run never
 * write, resume or replace the same "NAME.part", and threads saving other
 * names never wait for this one's system calls; seq is atomic.  A store_file
 * belongs to one thread.  Nothing here is safe against another process
 * writing into the same directory at the same time, except that no final
 * name is ever replaced.
 */
#define _GNU_SOURCE

#include "store.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sync.h"
#include "url.h"

#define QUERY_MAX      64      /* bytes of a folded query */
#define EXT_MAX        10      /* longest extension kept when cutting, dot included */
#define PART_SUFFIX    ".part" /* in-progress files: "NAME.part" */
#define PART_LEN       5
#define TEMP_SUFFIX    ".part.part"    /* never a final name nor a NAME.part */
#define TEMP_TRIES     100             /* unique temporary names tried before giving up */
#define RECORD_XATTR   "user.fetchall" /* where a file's record lives */
#define SLOT_LOCKS     64              /* slot names' locks, by hash (find_slot) */
#define DIR_CACHE      32              /* directories kept open (open_parents) */
#define PARTS_SCAN_MAX 4096            /* entries a directory is scanned for .part files */

/* A directory of the tree (-x) kept open: path relative to the store's
 * directory, its fd, how many files use it now, when it was last used. */
struct dir_entry {
	char *path; /* NULL: the entry is free */
	size_t len; /* of path */
	int fd;
	unsigned refs;
	unsigned long used;
	atomic_bool no_parts; /* holds no NAME.part (see no_parts()) */
};

struct store {
	int dirfd;
	unsigned flags;
	bool use_tmpfile;
	/* How an anonymous file is linked (link_anon()), probed once: by its
	 * descriptor (AT_EMPTY_PATH: kernels before 6.10 allow it only with
	 * CAP_DAC_READ_SEARCH, later ones to the file's opener too), else
	 * through procfd, /proc/self/fd opened once: walking "/proc/self/fd/N"
	 * from the root for every file was 5 % of a run of 2000 small files.
	 * procfd is the directory of the process that opened it: in a forked
	 * child (pid not procfd_pid) a number in it is the parent's file. */
	bool link_by_fd;
	int procfd;
	pid_t procfd_pid;
	pthread_mutex_t lock; /* guards dirs, never held long */
	/* The last directories files were saved in, open (open_parents()):
	 * in a mirror (-x) a file's directories were each opened again for
	 * every file, 7 openat() and 6 close() a file for 6000 URLs over 2000
	 * hosts, 9 % of that run.  An entry in use is never dropped. */
	struct dir_entry dirs[DIR_CACHE];
	unsigned long dir_tick;
	/* The store's own directory holds no NAME.part (see no_parts()), and
	 * how many .part files this run has kept anywhere (a directory looked
	 * at while one was kept may have missed it) */
	atomic_bool no_parts;
	atomic_ulong parts_kept;
	/* A slot name's look at the disk and claim are one step against
	 * other threads wanting that name (find_slot); by hash of the name,
	 * so threads saving different names do not wait for each other's
	 * system calls.  Each also guards the claims of its names: the files
	 * that hold their slot now, a list each (one list was walked by
	 * every claim and release, 2 % of the fetch threads' CPU). */
	pthread_mutex_t slot_locks[SLOT_LOCKS];
	struct store_file *claims[SLOT_LOCKS];
	atomic_ulong seq;    /* makes temporary names unique */
	atomic_bool records; /* records can be kept at all */
	bool sidecars;       /* in sidecar files, not xattrs */
	/* store_new_file(): the path as given, and the file's name in dirfd
	 * (NULL when streaming) or the descriptor streamed to; else NULL, NULL
	 * and -1 */
	char *one_path;
	char *one_name;
	int stream_fd;
	bool own_stream_fd;
};

enum file_kind {
	FILE_ANON,   /* O_TMPFILE: no name until committed */
	FILE_NAMED,  /* diskname in dirfd: NAME.part or a temporary name */
	FILE_STREAM, /* fd is the store's stream_fd: bytes go straight out */
};

struct store_file {
	struct store *store;
	int fd;                /* the data file; -1 while an existing file is the base */
	int dirfd;             /* the final name's directory */
	bool own_dirfd;        /* dirfd is not store->dirfd: close it */
	struct dir_entry *dir; /* dirfd's entry in store->dirs, or NULL */
	enum file_kind kind;
	bool owns_part; /* in store->claims (the slot is claimed) */
	unsigned claim; /* then its list there, and lock: by hash of slotpath */
	off_t size;
	int last_errno;
	char *relpath;    /* as given to store_open */
	size_t dirlen;    /* bytes of relpath before the final name */
	const char *name; /* the URL's name (last component of relpath) */
	char *url;        /* whose bytes these are; NULL: no identity */
	unsigned slot;    /* name, name.1, ...: the one this URL holds */
	char slotname[STORE_COMPONENT_MAX + sizeof(".999")];
	char *slotpath; /* dir + slotname: the key of the claims */
	/* "" or the slot's name as a mirror's page (STORE_HTML_EXT) */
	char htmlname[STORE_COMPONENT_MAX + sizeof(".html.999")];
	bool done_html; /* store_open found this URL saved under htmlname */
	char diskname[NAME_MAX + 1];
	/* -c over a file with no record at the URL's own name (made by another
	 * tool, or cut short): its bytes are the base, copied into the data
	 * file only once a continuation is accepted, and the commit replaces
	 * it.  base_fd is -1 otherwise. */
	int base_fd;
	bool replace_final;
	size_t record_len;        /* sidecar mode: bytes of `record`, to be
				     written when the file gets a name; 0: none */
	struct store_record held; /* the resumed bytes' record (in held_buf) */
	/* -N: the saved copy this file is to replace, as store_current()
	 * (`current`, valid while this is set) */
	bool has_current;
	/* -N with -J: the saved copy's name, the server's (store_current_as);
	 * "" when it is the URL's */
	char current_name[NAME_MAX + 1];
	struct store_file *next_owner;
	/* From here on, buffers each written before it is read (record_len,
	 * held and has_current say when), so file_new() does not zero them:
	 * clearing these 16 KB for every file was 1.5 % of the fetch threads'
	 * CPU on 500 images (perf: memset in store_open). */
	char record[STORE_RECORD_MAX]; /* sidecar mode: the record to write */
	char held_buf[STORE_RECORD_MAX];
	struct store_current current;
	char current_buf[STORE_RECORD_MAX];
};

/* Gives back a taken entry (NULL is fine). */
static void dir_give_back(struct store *store, struct dir_entry *e)
{
	if (e) {
		sync_lock(&store->lock);
		e->refs--;
		sync_unlock(&store->lock);
	}
}

/* ---- name mapping ------------------------------------------------------ */

static bool unsafe_byte(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '/' || c == '\\';
}

/* The byte at src[*i] (of len), percent-decoded; moves *i past an escape.
 * A '%' not followed by two hex digits stays as it is. */
static unsigned char decoded_byte(const char *src, size_t len, size_t *i)
{
	unsigned char c = (unsigned char)src[*i];

	if (c == '%' && len - *i >= 3) {
		int hi = url_hex_value((unsigned char)src[*i + 1]);
		int lo = url_hex_value((unsigned char)src[*i + 2]);

		if (hi >= 0 && lo >= 0) {
			c = (unsigned char)(hi * 16 + lo);
			*i += 2;
		}
	}
	return c;
}

/* Percent-decodes src[0..len) into dst (room for len bytes), with every
 * byte that may not appear in a component turned into '_'.  Returns the
 * decoded length. */
static size_t decode_component(const char *src, size_t len, char *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = decoded_byte(src, len, &i);

		dst[n++] = unsafe_byte(c) ? '_' : (char)c;
	}
	return n;
}

static bool query_byte_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '=' || c == '-';
}

/* Folds a raw query into at most QUERY_MAX readable bytes in dst. */
static size_t fold_query(const char *query, char *dst)
{
	size_t len = strlen(query);
	size_t n = 0;

	for (size_t i = 0; i < len && n < QUERY_MAX; i++) {
		unsigned char c = decoded_byte(query, len, &i);

		dst[n++] = query_byte_ok(c) ? (char)c : '_';
	}
	return n;
}

/* Length of s's extension (dot included) if it is short enough to keep
 * when cutting, else 0.  A leading dot (".profile") is no extension. */
static size_t ext_len(const char *s, size_t len)
{
	for (size_t e = 1; e <= EXT_MAX && e < len; e++) {
		if (s[len - e] == '.')
			return e;
	}
	return 0;
}

/* Moves a cut at s[cut] back to the start of a UTF-8 sequence, so that
 * cutting a valid name leaves it valid (at most 3 bytes back). */
static size_t utf8_boundary(const char *s, size_t cut)
{
	for (int back = 0; back < 3 && cut > 1; back++) {
		if (((unsigned char)s[cut] & 0xc0) != 0x80)
			break;
		cut--;
	}
	return cut;
}

/* Shortens s (len bytes) to at most cap bytes, keeping a short extension. */
static size_t cut_keep_ext(char *s, size_t len, size_t cap)
{
	size_t ext;
	size_t stem;

	if (len <= cap)
		return len;
	ext = ext_len(s, len);
	stem = utf8_boundary(s, cap - ext);
	memmove(s + stem, s + len - ext, ext);
	return stem + ext;
}

/* Whether a name ends in ".part", in any case: such names are reserved for
 * in-progress files (a case-insensitive file system would confuse them). */
static bool reserved_name(const char *s, size_t len)
{
	if (len < PART_LEN)
		return false;
	for (size_t i = 0; i < PART_LEN; i++) {
		char c = s[len - PART_LEN + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != PART_SUFFIX[i])
			return false;
	}
	return true;
}

/*
 * The rules every component obeys, applied to s (len > 0 bytes, room for
 * max(len, STORE_COMPONENT_MAX) + 1): no "." or "..", no leading '-', at
 * most STORE_COMPONENT_MAX bytes, not a reserved ".part" name.  Returns
 * the new length.
 */
static size_t finish_component(char *s, size_t len)
{
	if (len == 1 && s[0] == '.') {
		s[0] = '_';
	} else if (len == 2 && s[0] == '.' && s[1] == '.') {
		s[0] = '_';
		s[1] = '_';
	}
	if (s[0] == '-')
		s[0] = '_';
	len = cut_keep_ext(s, len, STORE_COMPONENT_MAX);
	if (reserved_name(s, len)) {
		len = cut_keep_ext(s, len, STORE_COMPONENT_MAX - 1);
		s[len++] = '_';
	}
	return len;
}

/*
 * Makes the file name from the raw last path segment and the raw query
 * (NULL if none), into name (room for STORE_COMPONENT_MAX + 1).  work has
 * room for rawlen + 2 bytes.  Returns the length.
 */
static size_t make_file_name(const char *raw, size_t rawlen, const char *query, char *work,
			     char *name)
{
	size_t len = decode_component(raw, rawlen, work);
	char folded[QUERY_MAX];
	size_t qlen = 0;

	if (len == 0) {
		memcpy(work, "index.html", 10);
		len = 10;
	} else if (len <= 2 && memcmp(work, "..", len) == 0) {
		/* Before folding, or "." plus a query would pass as a name. */
		memset(work, '_', len);
	}
	if (query)
		qlen = fold_query(query, folded);
	if (qlen > 0) {
		size_t ext = ext_len(work, len);
		size_t stem = len - ext;
		size_t budget = STORE_COMPONENT_MAX - ext - 1 - qlen;
		size_t n = 0;

		if (stem > budget)
			stem = utf8_boundary(work, budget);
		memcpy(name, work, stem);
		n = stem;
		name[n++] = '_';
		memcpy(name + n, folded, qlen);
		n += qlen;
		memcpy(name + n, work + len - ext, ext);
		n += ext;
		return finish_component(name, n);
	}
	len = finish_component(work, len);
	memcpy(name, work, len);
	return len;
}

/* Appends a component to path (used bytes), with a '/' unless first. */
static void path_append(char *path, size_t *used, const char *comp, size_t len)
{
	if (*used > 0)
		path[(*used)++] = '/';
	memcpy(path + *used, comp, len);
	*used += len;
}

/* The first component in tree mode: "host" lowercased, ":port" when not
 * the default, made safe like any component, into work (room for the
 * host, the port and STORE_COMPONENT_MAX + 2).  Returns its length. */
static size_t host_component(const char *host, const char *port, char *work)
{
	size_t len = decode_component(host, strlen(host), work);

	for (size_t i = 0; i < len; i++) {
		if (work[i] >= 'A' && work[i] <= 'Z')
			work[i] = (char)(work[i] - 'A' + 'a');
	}
	if (port) {
		work[len++] = ':';
		memcpy(work + len, port, strlen(port));
		len += strlen(port);
	}
	if (len == 0)
		work[len++] = '_';
	return finish_component(work, len);
}

/* A CURLUcode as ours: out of memory or a bad URL. */
static enum fa_err url_err(CURLUcode rc)
{
	return rc == CURLUE_OUT_OF_MEMORY ? FA_ERR_NOMEM : FA_ERR_URL;
}

enum fa_err store_name_for_url(const char *url, bool tree, char *out, size_t outlen)
{
	CURLU *handle = NULL;
	char *host = NULL;
	char *port = NULL;
	char *path = NULL;
	char *query = NULL;
	char *work = NULL;
	char name[STORE_COMPONENT_MAX + 2];
	char result[STORE_PATH_MAX + 1];
	size_t used = 0;
	size_t namelen;
	const char *last;
	enum fa_err err = FA_OK;
	CURLUcode rc;

	if (!url || !out || outlen == 0)
		return FA_ERR_ARG;
	out[0] = '\0';
	handle = curl_url();
	if (!handle)
		return FA_ERR_NOMEM;
	rc = curl_url_set(handle, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		err = url_err(rc);
		goto out;
	}
	rc = curl_url_get(handle, CURLUPART_PATH, &path, 0);
	if (rc != CURLUE_OK) {
		err = url_err(rc);
		goto out;
	}
	rc = curl_url_get(handle, CURLUPART_QUERY, &query, 0);
	if (rc != CURLUE_OK && rc != CURLUE_NO_QUERY) {
		err = url_err(rc);
		goto out;
	}
	if (tree) {
		rc = curl_url_get(handle, CURLUPART_HOST, &host, 0);
		if (rc != CURLUE_OK) {
			err = url_err(rc);
			goto out;
		}
		rc = curl_url_get(handle, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
		if (rc != CURLUE_OK && rc != CURLUE_NO_PORT) {
			err = url_err(rc);
			goto out;
		}
	}

	{
		size_t need = strlen(path);
		size_t hostneed = host ? strlen(host) + 1 + (port ? strlen(port) : 0) : 0;

		if (hostneed > need)
			need = hostneed;
		work = malloc(need + STORE_COMPONENT_MAX + 2);
		if (!work) {
			err = FA_ERR_NOMEM;
			goto out;
		}
	}

	last = strrchr(path, '/');
	last = last ? last + 1 : path;
	namelen = make_file_name(last, strlen(last), query, work, name);

	if (tree) {
		size_t len = host_component(host, port, work);
		size_t depth = 1;
		const char *seg = path;

		path_append(result, &used, work, len);

		/* Directories, while they fit with room left for the name. */
		while (seg < last) {
			const char *slash = strchr(seg, '/');
			size_t rawlen = (size_t)(slash - seg);

			if (rawlen > 0) {
				len = finish_component(work, decode_component(seg, rawlen, work));
				if (depth + 2 > STORE_DEPTH_MAX ||
				    used + 1 + len + 1 + namelen > STORE_PATH_MAX)
					break;
				path_append(result, &used, work, len);
				depth++;
			}
			seg = slash + 1;
		}
	}
	path_append(result, &used, name, namelen);

	if (used + 1 > outlen) {
		err = FA_ERR_TOO_LONG;
		goto out;
	}
	memcpy(out, result, used);
	out[used] = '\0';
out:
	free(work);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(handle);
	return err;
}

enum fa_err store_component(const char *raw, char *out, size_t outlen)
{
	size_t len;
	char *work;

	if (!raw || !out || outlen == 0)
		return FA_ERR_ARG;
	out[0] = '\0';
	len = strlen(raw);
	if (len == 0)
		return FA_ERR_NAME;
	work = malloc(len + STORE_COMPONENT_MAX + 1);
	if (!work)
		return FA_ERR_NOMEM;
	for (size_t i = 0; i < len; i++)
		work[i] = unsafe_byte((unsigned char)raw[i]) ? '_' : raw[i];
	len = finish_component(work, len);
	if (len + 1 <= outlen) {
		memcpy(out, work, len);
		out[len] = '\0';
	}
	free(work);
	return len + 1 <= outlen ? FA_OK : FA_ERR_TOO_LONG;
}

/* ---- files ------------------------------------------------------------- */

static enum fa_err errno_err(int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return FA_ERR_DISK_FULL;
	if (e == ENAMETOOLONG)
		return FA_ERR_TOO_LONG;
	return FA_ERR_IO;
}

/* Fills errbuf with "WHAT 'dir': strerror(e)". */
static void report(char *errbuf, size_t errlen, const char *what, const char *dir, int e)
{
	char text[128];
	const char *msg;

	if (!errbuf || errlen == 0)
		return;
	msg = strerror_r(e, text, sizeof(text));
	snprintf(errbuf, errlen, "%s '%s': %s", what, dir, msg);
}

/* Makes every missing directory of dir, like mkdir -p.  Returns 0 or an
 * errno value. */
static int mkdir_parents(const char *dir)
{
	size_t len = strlen(dir);
	char *copy = malloc(len + 1);
	int ret = 0;

	if (!copy)
		return ENOMEM;
	memcpy(copy, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		struct stat st;

		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		if (copy[i - 1] == '/')
			continue;
		copy[i] = '\0';
		if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
			int saved = errno;

			if (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)) {
				ret = saved;
				break;
			}
		}
		copy[i] = i < len ? '/' : '\0';
	}
	free(copy);
	return ret;
}

/* Links the anonymous file fd as name in dirfd; linkat's result. */
static int link_anon(const struct store *store, int fd, int dirfd, const char *name)
{
	char proc[64];

	if (store->link_by_fd)
		return linkat(fd, "", dirfd, name, AT_EMPTY_PATH);
	if (store->procfd >= 0 && store->procfd_pid == getpid()) {
		snprintf(proc, sizeof(proc), "%d", fd);
		return linkat(store->procfd, proc, dirfd, name, AT_SYMLINK_FOLLOW);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

/* A name no final name or NAME.part can have: "BASE.PID-SEQ.part.part". */
static void temp_name(struct store *store, const char *base, char *buf, size_t len)
{
	unsigned long seq = atomic_fetch_add(&store->seq, 1);

	snprintf(buf, len, "%s.%ld-%lu%s", base, (long)getpid(), seq, TEMP_SUFFIX);
}

/* Creates a uniquely named file in dirfd with O_EXCL, its name in buf.
 * Returns the fd or -1 with errno set. */
static int create_temp(struct store *store, int dirfd, const char *base, char *buf, size_t len)
{
	for (int i = 0; i < TEMP_TRIES; i++) {
		int fd;

		temp_name(store, base, buf, len);
		fd = openat(dirfd, buf, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Whether the anonymous file fd can be linked into the store's
 * directory the way link_anon() now would. */
static bool link_works(struct store *store, int fd)
{
	char name[NAME_MAX + 1];

	for (int i = 0; i < TEMP_TRIES; i++) {
		temp_name(store, ".fetchall-probe", name, sizeof(name));
		if (link_anon(store, fd, store->dirfd, name) == 0) {
			unlinkat(store->dirfd, name, 0);
			return true;
		}
		if (errno != EEXIST)
			return false;
	}
	return false;
}

/*
 * Checks that files can be made in the store's directory, whether the
 * O_TMPFILE + linkat route works there and how it links (link_anon()).
 * Returns 0 or an errno value.
 */
static int probe_dir(struct store *store)
{
	char name[NAME_MAX + 1];
	int fd;

	if (!(store->flags & STORE_NO_TMPFILE)) {
		fd = openat(store->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			/* by descriptor where allowed; else through /proc */
			store->link_by_fd = !(store->flags & STORE_NO_LINK_BY_FD);
			if (store->link_by_fd)
				store->use_tmpfile = link_works(store, fd);
			if (!store->use_tmpfile) {
				store->link_by_fd = false;
				store->procfd =
				    open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
				store->procfd_pid = getpid();
				store->use_tmpfile = link_works(store, fd);
			}
			if (!store->use_tmpfile && store->procfd >= 0) {
				close(store->procfd);
				store->procfd = -1;
			}
			close(fd);
			if (store->use_tmpfile)
				return 0;
		}
	}
	/* The fallback: tells the real reason when nothing can be created. */
	fd = create_temp(store, store->dirfd, ".fetchall-probe", name, sizeof(name));
	if (fd < 0)
		return errno;
	close(fd);
	unlinkat(store->dirfd, name, 0);
	return 0;
}

/* Whether files in the store's directory take user extended attributes
 * (else records go to sidecar files). */
static bool xattrs_work(struct store *store)
{
	char name[NAME_MAX + 1];
	bool ok;
	int fd = create_temp(store, store->dirfd, ".fetchall-probe", name, sizeof(name));

	if (fd < 0)
		return false;
	ok = fsetxattr(fd, RECORD_XATTR, "probe", 5, 0) == 0 ||
	     (errno != ENOTSUP && errno != EOPNOTSUPP && errno != EPERM);
	close(fd);
	unlinkat(store->dirfd, name, 0);
	return ok;
}

/* Makes the store's mutexes; 0, or an errno value with none left made. */
static int locks_init(struct store *store)
{
	int e = pthread_mutex_init(&store->lock, NULL);

	for (int i = 0; e == 0 && i < SLOT_LOCKS; i++) {
		e = pthread_mutex_init(&store->slot_locks[i], NULL);
		if (e != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&store->slot_locks[i]);
			pthread_mutex_destroy(&store->lock);
		}
	}
	return e;
}

/* Whether directory dirfd holds no name ending in ".part" (in any case:
 * reserved_name()), looked at once: false past PARTS_SCAN_MAX entries or
 * on an error (it may). */
static bool holds_no_parts(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	unsigned n = 0;
	bool none = true;
	DIR *d;

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	errno = 0;
	while (none && (de = readdir(d)))
		if (++n > PARTS_SCAN_MAX || reserved_name(de->d_name, strlen(de->d_name)))
			none = false;
	if (errno)
		none = false;
	closedir(d);
	return none;
}

enum fa_err store_new(const char *dir, unsigned flags, struct store **out, char *errbuf,
		      size_t errlen)
{
	struct store *store = NULL;
	enum fa_err err = FA_OK;
	int e;

	if (errbuf && errlen > 0)
		errbuf[0] = '\0';
	if (!out)
		return FA_ERR_ARG;
	*out = NULL;
	if (!dir || dir[0] == '\0') {
		if (errbuf && errlen > 0)
			snprintf(errbuf, errlen, "no output directory given");
		return FA_ERR_ARG;
	}
	store = calloc(1, sizeof(*store));
	if (!store) {
		report(errbuf, errlen, "cannot use output directory", dir, ENOMEM);
		return FA_ERR_NOMEM;
	}
	store->dirfd = -1;
	store->stream_fd = -1;
	store->procfd = -1;
	store->flags = flags;
	atomic_init(&store->seq, 0);
	atomic_init(&store->records, true);
	if (locks_init(store) != 0) {
		free(store);
		report(errbuf, errlen, "cannot use output directory", dir, EAGAIN);
		return FA_ERR_THREAD;
	}

	e = mkdir_parents(dir);
	if (e != 0) {
		report(errbuf, errlen, "cannot create output directory", dir, e);
		err = e == ENOMEM ? FA_ERR_NOMEM : FA_ERR_IO;
		goto out;
	}
	store->dirfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (store->dirfd < 0) {
		report(errbuf, errlen, "cannot open output directory", dir, errno);
		err = FA_ERR_IO;
		goto out;
	}
	e = probe_dir(store);
	if (e != 0) {
		report(errbuf, errlen, "cannot write to output directory", dir, e);
		err = errno_err(e);
		goto out;
	}
	store->sidecars = (flags & STORE_NO_XATTR) || !xattrs_work(store);
	atomic_store(&store->no_parts, holds_no_parts(store->dirfd));
	*out = store;
	store = NULL;
out:
	store_free(store);
	return err;
}

/* A store that streams to fd (taking it if own), for store_new_file(). */
static enum fa_err stream_store(const char *path, int fd, bool own, struct store **out)
{
	struct store *store = calloc(1, sizeof(*store));

	if (store)
		store->one_path = strdup(path);
	if (!store || !store->one_path) {
		free(store);
		if (own)
			close(fd);
		return FA_ERR_NOMEM;
	}
	store->dirfd = -1;
	store->procfd = -1;
	store->stream_fd = fd;
	store->own_stream_fd = own;
	atomic_init(&store->seq, 0);
	atomic_init(&store->records, false);
	sync_must(locks_init(store), "pthread_mutex_init");
	*out = store;
	return FA_OK;
}

/* Whether name may be the one file's name in its directory. */
static bool valid_component(const char *name);

enum fa_err store_new_file(const char *path, unsigned flags, struct store **out, char *errbuf,
			   size_t errlen)
{
	struct stat st;
	const char *name, *slash;
	char *real = NULL, *dir = NULL;
	enum fa_err err;
	int fd;

	if (errbuf && errlen > 0)
		errbuf[0] = '\0';
	if (!out)
		return FA_ERR_ARG;
	*out = NULL;
	if (!path || !path[0]) {
		if (errbuf && errlen > 0)
			snprintf(errbuf, errlen, "no output file given");
		return FA_ERR_ARG;
	}
	if (strcmp(path, "-") == 0)
		return stream_store(path, STDOUT_FILENO, false, out);
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			report(errbuf, errlen, "cannot write the output file", path, EISDIR);
			return FA_ERR_IO;
		}
		if (!S_ISREG(st.st_mode)) {
			/* a device or FIFO (/dev/null): written to as it stands */
			fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
			if (fd < 0) {
				report(errbuf, errlen, "cannot open the output file", path, errno);
				return FA_ERR_IO;
			}
			return stream_store(path, fd, true, out);
		}
	}
	/* A link to a file: the file it names is replaced, as wget -O and
	 * curl -o would write through it. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (!real) {
			report(errbuf, errlen, "cannot follow the output file", path, errno);
			return FA_ERR_IO;
		}
	}
	slash = strrchr(real ? real : path, '/');
	name = slash ? slash + 1 : (real ? real : path);
	if (!valid_component(name)) {
		if (errbuf && errlen > 0)
			snprintf(errbuf, errlen,
				 "cannot use '%s' as the output file: it must name a file, and no "
				 "name ending in .part (in-progress files have those) or longer "
				 "than %d bytes",
				 path, STORE_COMPONENT_MAX);
		free(real);
		return FA_ERR_NAME;
	}
	if (!slash)
		dir = strdup(".");
	else if (slash == (real ? real : path))
		dir = strdup("/");
	else
		dir = strndup(real ? real : path, (size_t)(slash - (real ? real : path)));
	err = dir ? store_new(dir, flags, out, errbuf, errlen) : FA_ERR_NOMEM;
	if (err == FA_OK) {
		(*out)->one_path = strdup(path);
		(*out)->one_name = strdup(name);
		if (!(*out)->one_path || !(*out)->one_name) {
			store_free(*out);
			*out = NULL;
			err = FA_ERR_NOMEM;
		}
	}
	free(dir);
	free(real);
	return err;
}

const char *store_one_file(const struct store *store)
{
	return store ? store->one_path : NULL;
}

bool store_streams(const struct store_file *file)
{
	return file && file->kind == FILE_STREAM;
}

void store_free(struct store *store)
{
	if (!store)
		return;
	if (store->own_stream_fd)
		close(store->stream_fd);
	free(store->one_path);
	free(store->one_name);
	if (store->dirfd >= 0)
		close(store->dirfd);
	if (store->procfd >= 0)
		close(store->procfd);
	for (int i = 0; i < DIR_CACHE; i++) {
		if (store->dirs[i].path) {
			close(store->dirs[i].fd);
			free(store->dirs[i].path);
		}
	}
	pthread_mutex_destroy(&store->lock);
	for (int i = 0; i < SLOT_LOCKS; i++)
		pthread_mutex_destroy(&store->slot_locks[i]);
	free(store);
}

/* The list and lock of slotpath's claims. */
static unsigned claim_of(const char *slotpath)
{
	return (unsigned)(url_hash(slotpath) % SLOT_LOCKS);
}

/* Whether a store_file of this store holds slotpath now.  Under the
 * slot lock of claim_of(slotpath). */
static bool slot_claimed(const struct store *store, const char *slotpath)
{
	for (const struct store_file *o = store->claims[claim_of(slotpath)]; o; o = o->next_owner)
		if (strcmp(o->slotpath, slotpath) == 0)
			return true;
	return false;
}

/* Makes file the holder of its slot.  Under the slot lock of its name. */
static void claim_slot(struct store_file *file)
{
	struct store *store = file->store;

	file->claim = claim_of(file->slotpath);
	file->next_owner = store->claims[file->claim];
	store->claims[file->claim] = file;
	file->owns_part = true;
}

static void release_part(struct store_file *file)
{
	struct store *store = file->store;

	if (!file->owns_part)
		return;
	sync_lock(&store->slot_locks[file->claim]);
	for (struct store_file **p = &store->claims[file->claim]; *p; p = &(*p)->next_owner) {
		if (*p == file) {
			*p = file->next_owner;
			break;
		}
	}
	sync_unlock(&store->slot_locks[file->claim]);
	file->owns_part = false;
	file->next_owner = NULL;
}

/* ---- records ------------------------------------------------------------ */

#define RECORD_MAGIC "fetchall-record 1\n"

/* Encodes a record into buf; returns its length, or 0 if it does not fit
 * (or a field holds a newline: a record is one field a line). */
static size_t record_encode(const char *url, const char *etag, const char *lm, long long total,
			    bool converted, char *buf, size_t len)
{
	int n;

	if (strpbrk(url, "\r\n") || strpbrk(etag, "\r\n") || strpbrk(lm, "\r\n"))
		return 0;
	n = snprintf(buf, len, RECORD_MAGIC "url %s\netag %s\nlm %s\ntotal %lld\n%s", url, etag, lm,
		     total, converted ? "converted 1\n" : "");
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* Parses len bytes of buf (a record as stored; rewritten in place, NULs
 * at line ends) into *rec.  Returns whether it is a valid record. */
static bool record_parse(char *buf, size_t len, struct store_record *rec)
{
	size_t magic = sizeof(RECORD_MAGIC) - 1;
	char *p = buf + magic;
	char *end = buf + len;

	memset(rec, 0, sizeof(*rec));
	rec->etag = rec->last_modified = "";
	rec->total = -1;
	if (len < magic || memcmp(buf, RECORD_MAGIC, magic) != 0)
		return false;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *sp;

		if (!nl)
			return false;
		*nl = '\0';
		sp = strchr(p, ' ');
		if (sp) {
			*sp++ = '\0';
			if (strcmp(p, "url") == 0) {
				rec->url = sp;
			} else if (strcmp(p, "etag") == 0) {
				rec->etag = sp;
			} else if (strcmp(p, "lm") == 0) {
				rec->last_modified = sp;
			} else if (strcmp(p, "converted") == 0) {
				rec->converted = strcmp(sp, "1") == 0;
			} else if (strcmp(p, "total") == 0) {
				char *e;

				errno = 0;
				rec->total = strtoll(sp, &e, 10);
				if (errno || *e || rec->total < -1)
					rec->total = -1;
			}
		}
		p = nl + 1;
	}
	return rec->url && rec->url[0];
}

#define SIDECAR_SUFFIX ".fetchall.part.part"

/* The sidecar of name: "NAME.fetchall.part.part".  A final name never ends
 * in ".part", so no .part is ever "X.part.part", and temporary names
 * ("BASE.PID-SEQ.part.part") never end in ".fetchall.part.part". */
static void sidecar_name(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s%s", name, SIDECAR_SUFFIX);
}

/* Reads the record of name in dirfd (never following a link) into buf
 * (STORE_RECORD_MAX bytes) and *rec.  Returns whether it has one. */
static bool record_read(const struct store *store, int dirfd, const char *name, char *buf,
			struct store_record *rec)
{
	char path[64 + NAME_MAX + sizeof(SIDECAR_SUFFIX)];
	ssize_t n = 0;

	if (store->sidecars) {
		struct stat st;
		int fd;

		/* a sidecar speaks only for a file that is there */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return false;
		sidecar_name(name, path, sizeof(path));
		fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return false;
		while ((n = read(fd, buf, STORE_RECORD_MAX - 1)) < 0 && errno == EINTR)
			;
		close(fd);
	} else {
		/* No getxattrat(): the directory's descriptor names it, and
		 * the l- form never follows name itself if it is a link. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
		n = lgetxattr(path, RECORD_XATTR, buf, STORE_RECORD_MAX - 1);
	}
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return record_parse(buf, (size_t)n, rec);
}

/* Sidecar mode: writes len bytes of record as name's sidecar in dirfd,
 * atomically (a temporary renamed over it).  Best effort: a file whose
 * sidecar could not be written has no record. */
static void sidecar_write(struct store *store, int dirfd, const char *name, const char *record,
			  size_t len)
{
	char side[NAME_MAX + sizeof(SIDECAR_SUFFIX)];
	char temp[NAME_MAX + 1];
	int fd;

	sidecar_name(name, side, sizeof(side));
	fd = create_temp(store, dirfd, ".fetchall-record", temp, sizeof(temp));
	if (fd < 0)
		return;
	if (write(fd, record, len) != (ssize_t)len || close(fd) != 0 ||
	    renameat(dirfd, temp, dirfd, side) != 0) {
		unlinkat(dirfd, temp, 0);
		return;
	}
}

static void sidecar_remove(const struct store *store, int dirfd, const char *name)
{
	char side[NAME_MAX + sizeof(SIDECAR_SUFFIX)];

	if (!store->sidecars)
		return;
	sidecar_name(name, side, sizeof(side));
	unlinkat(dirfd, side, 0);
}

/* file's bytes now have name in its directory: its record goes with them
 * (sidecar mode; an xattr travels with the inode by itself). */
static void record_follow(struct store_file *file, const char *name)
{
	if (file->store->sidecars && file->record_len)
		sidecar_write(file->store, file->dirfd, name, file->record, file->record_len);
}

enum fa_err store_set_record(struct store_file *file, const char *etag, const char *last_modified,
			     long long total)
{
	char buf[STORE_RECORD_MAX];
	size_t len;

	if (!file)
		return FA_ERR_ARG;
	if (!file->url || file->fd < 0 || file->kind == FILE_STREAM ||
	    !atomic_load(&file->store->records))
		return FA_OK;
	len = record_encode(file->url, etag ? etag : "", last_modified ? last_modified : "", total,
			    false, buf, sizeof(buf));
	if (len == 0)
		return FA_OK; /* too long to record: the file has no record */
	if (file->store->sidecars) {
		memcpy(file->record, buf, len);
		file->record_len = len;
		char part[NAME_MAX + 1];

		snprintf(part, sizeof(part), "%s%s", file->slotname, PART_SUFFIX);
		if (file->kind == FILE_NAMED && strcmp(file->diskname, part) == 0)
			record_follow(file, part); /* it is NAME.part already */
		return FA_OK;
	}
	if (fsetxattr(file->fd, RECORD_XATTR, buf, len, 0) == 0)
		return FA_OK;
	if (errno == ENOTSUP || errno == EOPNOTSUPP || errno == E2BIG || errno == ERANGE ||
	    errno == ENOSPC || errno == EDQUOT) {
		/* No records for this one (a probe found xattrs working). */
		return FA_OK;
	}
	file->last_errno = errno;
	return FA_ERR_IO;
}

const struct store_record *store_resumed(const struct store_file *file)
{
	return file && file->held.url ? &file->held : NULL;
}

/* Closes what file holds and frees it; the data's fate is decided before. */
static void file_free(struct store_file *file)
{
	int saved = errno;

	if (file->fd >= 0 && file->kind != FILE_STREAM)
		close(file->fd);
	if (file->base_fd >= 0)
		close(file->base_fd);
	release_part(file);
	if (file->dir) {
		dir_give_back(file->store, file->dir);
	} else if (file->own_dirfd) {
		close(file->dirfd);
	}
	free(file->relpath);
	free(file->slotpath);
	free(file->url);
	free(file);
	errno = saved;
}

/*
 * Checks relpath: relative, no empty, "." or ".." component, each at most
 * STORE_COMPONENT_MAX bytes, the last not a reserved ".part" name.  Sets
 * *dirlen to the bytes before the last component.
 */
static enum fa_err check_relpath(const char *relpath, size_t *dirlen)
{
	size_t len = strlen(relpath);
	size_t depth = 0;
	const char *comp = relpath;

	if (len == 0 || relpath[0] == '/')
		return FA_ERR_NAME;
	if (len > STORE_PATH_MAX)
		return FA_ERR_TOO_LONG;
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);

		if (clen == 0 || (clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.'))
			return FA_ERR_NAME;
		if (clen > STORE_COMPONENT_MAX || ++depth > STORE_DEPTH_MAX)
			return FA_ERR_TOO_LONG;
		if (!slash) {
			if (reserved_name(comp, clen))
				return FA_ERR_NAME;
			*dirlen = (size_t)(comp - relpath);
			return FA_OK;
		}
		comp = slash + 1;
	}
}

/* Opens directory name in parent without following a link, creating it if
 * missing (*made says whether this call made it).  A directory just
 * made (parent_new) has nothing in it: no look before the mkdirat, a
 * system call a level of a new tree.  Returns the fd or -1 with errno
 * set. */
static int open_subdir(int parent, const char *name, bool parent_new, bool *made)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = parent_new ? -1 : openat(parent, name, flags);

	*made = false;
	if (fd >= 0 || (!parent_new && errno != ENOENT))
		return fd;
	/* EEXIST: another thread made it first. */
	if (mkdirat(parent, name, 0777) == 0)
		*made = true;
	else if (errno != EEXIST)
		return -1;
	return openat(parent, name, flags);
}

/* Takes e (NULL is fine) for a file: in use, and used now.  Under the
 * store's lock. */
static struct dir_entry *dir_hold(struct store *store, struct dir_entry *e)
{
	if (e) {
		e->refs++;
		e->used = ++store->dir_tick;
	}
	return e;
}

/* The open entry for the directory path (len bytes), or NULL.  Under the
 * store's lock. */
static struct dir_entry *dir_find(struct store *store, const char *path, size_t len)
{
	for (int i = 0; i < DIR_CACHE; i++) {
		struct dir_entry *e = &store->dirs[i];

		if (e->path && e->len == len && !memcmp(e->path, path, len))
			return e;
	}
	return NULL;
}

/* dir_find()'s entry, taken.  Under the store's lock. */
static struct dir_entry *dir_take(struct store *store, const char *path, size_t len)
{
	return dir_hold(store, dir_find(store, path, len));
}

/* The open entry whose path is the longest proper prefix of path (len
 * bytes) at a '/', taken, or NULL: where a walk to path can start.  Under
 * the store's lock. */
static struct dir_entry *dir_take_parent(struct store *store, const char *path, size_t len)
{
	struct dir_entry *best = NULL;

	for (int i = 0; i < DIR_CACHE; i++) {
		struct dir_entry *e = &store->dirs[i];

		if (e->path && e->len < len && path[e->len] == '/' &&
		    !memcmp(e->path, path, e->len) && (!best || e->len > best->len))
			best = e;
	}
	return dir_hold(store, best);
}

/*
 * Keeps fd open as the directory path (len bytes), taken (refs 1), in a
 * free entry or the least recently used one no file uses; returns the
 * entry, or NULL if every entry is in use (fd is then the caller's).
 * *drop gets the fd of the entry it replaced, to close outside the lock,
 * or -1.  Under the store's lock.
 */
static struct dir_entry *dir_keep(struct store *store, const char *path, size_t len, int fd,
				  bool no_parts, int *drop)
{
	struct dir_entry *victim = NULL;
	char *copy;

	*drop = -1;
	for (int i = 0; i < DIR_CACHE; i++) {
		struct dir_entry *e = &store->dirs[i];

		if (!e->path) {
			victim = e;
			break;
		}
		if (e->refs == 0 && (!victim || e->used < victim->used))
			victim = e;
	}
	if (!victim || !(copy = malloc(len + 1)))
		return NULL;
	memcpy(copy, path, len);
	copy[len] = '\0';
	if (victim->path) {
		*drop = victim->fd;
		free(victim->path);
	}
	victim->path = copy;
	victim->len = len;
	victim->fd = fd;
	victim->refs = 0;
	atomic_store(&victim->no_parts, no_parts);
	return dir_hold(store, victim);
}

/* file's directory is e's (taken): its fd, closed with the entry. */
static void use_dir(struct store_file *file, struct dir_entry *e)
{
	file->dir = e;
	file->dirfd = e->fd;
	file->own_dirfd = false;
}

/* Opens (making them) the directories of file->relpath, one at a time,
 * unless the last of them is open already in store->dirs, and from the
 * deepest of them open there; keeps the last there for the next file. */
static enum fa_err open_parents(struct store_file *file)
{
	struct store *store = file->store;
	const char *comp = file->relpath;
	const char *end = file->relpath + file->dirlen;
	size_t dlen = file->dirlen ? file->dirlen - 1 : 0; /* no last '/' */
	int cur = store->dirfd, drop;
	bool own = false, made = false, none;
	unsigned long kept;
	struct dir_entry *e, *from = NULL;

	if (dlen) {
		sync_lock(&store->lock);
		e = dir_take(store, file->relpath, dlen);
		if (!e)
			from = dir_take_parent(store, file->relpath, dlen);
		sync_unlock(&store->lock);
		if (e) {
			use_dir(file, e);
			return FA_OK;
		}
		if (from) { /* its fd stays open: `from` is taken */
			cur = from->fd;
			comp = file->relpath + from->len + 1;
		}
	}
	while (comp < end) {
		const char *slash = memchr(comp, '/', (size_t)(end - comp));
		char name[STORE_COMPONENT_MAX + 1];
		size_t len = (size_t)(slash - comp);
		int next;
		int saved;

		memcpy(name, comp, len);
		name[len] = '\0';
		next = open_subdir(cur, name, made, &made);
		saved = errno;
		if (own)
			close(cur);
		if (next < 0) {
			dir_give_back(store, from);
			errno = saved;
			return errno_err(saved);
		}
		cur = next;
		own = true;
		comp = slash + 1;
	}
	dir_give_back(store, from);
	file->dirfd = cur;
	file->own_dirfd = own;
	if (!own)
		return FA_OK;
	/* a directory made now holds no .part; one found is looked at, and
	 * the look counts only if no .part was kept meanwhile */
	kept = atomic_load(&store->parts_kept);
	none = made || holds_no_parts(cur);
	/* another thread may have opened it meanwhile: one entry a path */
	sync_lock(&store->lock);
	e = dir_take(store, file->relpath, dlen);
	if (!e) {
		e = dir_keep(store, file->relpath, dlen, cur,
			     none && atomic_load(&store->parts_kept) == kept, &drop);
		sync_unlock(&store->lock);
		if (drop >= 0)
			close(drop);
	} else {
		sync_unlock(&store->lock);
		close(cur);
	}
	if (e)
		use_dir(file, e);
	return FA_OK;
}

/* Opens name in dirfd for reading or appending (flags), a regular file
 * with one link, never through a link and never blocking on a fifo.
 * Returns the fd and its size in *size, or -1. */
static int open_regular(int dirfd, const char *name, int flags, off_t *size)
{
	struct stat st;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* A fifo or device must not block us; a file with other links is not
	 * ours to append to. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    fcntl(fd, F_SETFL, flags & O_APPEND) != 0) {
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* With -c: reopens the slot's NAME.part, whose record (if any) is in
 * file->held.  Returns whether it did; if not, file is as before. */
static bool resume_part(struct store_file *file)
{
	off_t end;
	int fd = open_regular(file->dirfd, file->diskname, O_RDWR, &end);

	if (fd < 0 || lseek(fd, 0, SEEK_END) != end) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	file->fd = fd;
	file->kind = FILE_NAMED;
	file->size = end;
	return true;
}

/* With -c: the saved file at the name itself has no record: it becomes the
 * base to continue (copied only once a continuation is accepted).  Returns
 * whether it did. */
static bool resume_base(struct store_file *file)
{
	off_t size;
	int fd = open_regular(file->dirfd, file->slotname, O_RDONLY, &size);

	if (fd < 0)
		return false;
	file->base_fd = fd;
	file->size = size;
	file->replace_final = true;
	file->held.url = file->url ? file->url : "";
	file->held.etag = file->held.last_modified = "";
	file->held.total = -1;
	return true;
}

/* A new empty file: anonymous, or the slot's NAME.part, or a temporary
 * name where NAME.part cannot be replaced. */
static enum fa_err create_fresh(struct store_file *file)
{
	struct store *store = file->store;
	int fd = -1;

	if (store->use_tmpfile) {
		fd = openat(file->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno_err(errno);
		file->fd = fd;
		file->kind = FILE_ANON;
		return FA_OK;
	}
	/* Unlink rather than O_TRUNC: a stale NAME.part could be a hard link
	 * to a file elsewhere.  The slot is ours, so the .part is too. */
	if (unlinkat(file->dirfd, file->diskname, 0) == 0 || errno == ENOENT)
		fd = openat(file->dirfd, file->diskname,
			    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		fd = create_temp(store, file->dirfd, file->name, file->diskname,
				 sizeof(file->diskname));
		if (fd < 0)
			return errno_err(errno);
	}
	file->fd = fd;
	file->kind = FILE_NAMED;
	return FA_OK;
}

/* Points file at slot n: slotname, slotpath and the .part's diskname. */
static enum fa_err set_slot(struct store_file *file, unsigned n)
{
	size_t len;

	file->slot = n;
	if (n == 0)
		snprintf(file->slotname, sizeof(file->slotname), "%s", file->name);
	else
		snprintf(file->slotname, sizeof(file->slotname), "%s.%u", file->name, n);
	snprintf(file->diskname, sizeof(file->diskname), "%s%s", file->slotname, PART_SUFFIX);
	file->htmlname[0] = '\0';
	if ((file->store->flags & STORE_HTML_EXT) && !store_has_html_ext(file->name)) {
		if (n == 0)
			snprintf(file->htmlname, sizeof(file->htmlname), "%s.html", file->name);
		else
			snprintf(file->htmlname, sizeof(file->htmlname), "%s.html.%u", file->name,
				 n);
	}
	len = file->dirlen + strlen(file->slotname);
	free(file->slotpath);
	file->slotpath = malloc(len + 1);
	if (!file->slotpath)
		return FA_ERR_NOMEM;
	memcpy(file->slotpath, file->relpath, file->dirlen);
	memcpy(file->slotpath + file->dirlen, file->slotname, strlen(file->slotname) + 1);
	return FA_OK;
}

/* What a slot holds for a URL. */
enum slot_state {
	SLOT_FREE,    /* nothing: fresh bytes go here */
	SLOT_DONE,    /* this URL's saved file (or wget -nc's rule) */
	SLOT_PART,    /* a .part to resume: this URL's, or unrecorded at 0 */
	SLOT_BASE,    /* -c: an unrecorded saved file at the name itself */
	SLOT_OTHERS,  /* another URL's: try the next */
	SLOT_BLOCKED, /* something that is no file stands there (-nc/-c) */
};

static bool same_url(const struct store_file *file, const struct store_record *rec)
{
	return file->url && strcmp(file->url, rec->url) == 0;
}

/*
 * Whether file's directory is known to hold no NAME.part: one this run
 * made, or one with none when it was first opened (holds_no_parts()),
 * until this run keeps a .part there (keep_as_part()).  Every slot of a
 * plain run looked for its .part on disk, a failing fstatat() a file that
 * was 5 % of fetchall's CPU over 500 images over TLS.  What this run
 * writes as NAME.part while a transfer is on is its claimed slot's
 * (find_slot()), never looked at.  A .part another process makes in the
 * same directory meanwhile goes unseen, as it could before between the
 * look and the use.
 */
static bool no_parts(const struct store_file *file)
{
	if (file->dir)
		return atomic_load(&file->dir->no_parts);
	/* without an entry and a descriptor of its own: the store's directory */
	return !file->own_dirfd && atomic_load(&file->store->no_parts);
}

/* Looks at file's current slot on disk.  Under the store's lock.  A .part
 * with its record is read into file->held. */
static enum slot_state look_at_slot(struct store_file *file)
{
	unsigned flags = file->store->flags;
	char buf[STORE_RECORD_MAX];
	struct store_record rec;
	struct stat st;

	/* A plain run saves beside whatever is there (the commit picks the
	 * name), so only -c, -nc and -N look at saved files. */
	if ((flags & (STORE_NO_CLOBBER | STORE_CONTINUE | STORE_TIMESTAMPING)) &&
	    file->htmlname[0] && record_read(file->store, file->dirfd, file->htmlname, buf, &rec) &&
	    same_url(file, &rec)) {
		file->done_html = true; /* saved as NAME.html (a mirror's page) */
		return SLOT_DONE;
	}
	if ((flags & (STORE_NO_CLOBBER | STORE_CONTINUE | STORE_TIMESTAMPING)) &&
	    fstatat(file->dirfd, file->slotname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		bool recorded = record_read(file->store, file->dirfd, file->slotname, buf, &rec);

		if (recorded && same_url(file, &rec))
			return SLOT_DONE;
		if (file->store->one_name) {
			/* -O FILE: -nc keeps whatever FILE is; -c continues
			 * FILE with no record, and replaces another URL's
			 * FILE, from this URL's FILE.part if there is one */
			if (flags & STORE_NO_CLOBBER)
				return SLOT_DONE;
			if (!recorded && S_ISREG(st.st_mode))
				return SLOT_BASE;
		} else {
			/* A directory (another URL's path goes through it)
			 * holds no file: the URL takes the next name, as a
			 * plain run would. */
			if (recorded || file->slot > 0 || S_ISDIR(st.st_mode))
				return SLOT_OTHERS;
			if (!S_ISREG(st.st_mode))
				return SLOT_BLOCKED;
			return (flags & STORE_CONTINUE) ? SLOT_BASE : SLOT_DONE;
		}
	}
	if (no_parts(file) || fstatat(file->dirfd, file->diskname, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return SLOT_FREE;
	if (record_read(file->store, file->dirfd, file->diskname, file->held_buf, &rec)) {
		if (!same_url(file, &rec))
			return SLOT_OTHERS;
		file->held = rec;
		return SLOT_PART;
	}
	if (file->slot > 0)
		return SLOT_OTHERS;
	file->held.url = file->url ? file->url : "";
	file->held.etag = file->held.last_modified = "";
	file->held.total = -1;
	return SLOT_PART;
}

/* -N alone: a saved copy of the URL is to be checked and maybe replaced,
 * not skipped (-nc wins: nothing is ever replaced). */
static bool timestamping(const struct store *store)
{
	return (store->flags & STORE_TIMESTAMPING) && !(store->flags & STORE_NO_CLOBBER);
}

/* -N: file is to replace the saved copy at name; keeps what it is. */
static bool take_current(struct store_file *file, const char *name)
{
	struct stat st;

	if (fstatat(file->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return false;
	memset(&file->current, 0, sizeof(file->current));
	file->current.size = st.st_size;
	file->current.mtime = st.st_mtim.tv_sec;
	if (!record_read(file->store, file->dirfd, name, file->current_buf, &file->current.record))
		memset(&file->current.record, 0, sizeof(file->current.record));
	file->current.recorded = file->current.record.url != NULL;
	snprintf(file->current.path, sizeof(file->current.path), "%.*s%s", (int)file->dirlen,
		 file->relpath, name);
	file->has_current = true;
	return true;
}

/* Finds and claims file's slot (see store_open).  Returns FA_OK with the
 * slot's state in *state, or FA_ERR_EXISTS (all held) / FA_ERR_NOMEM.
 * Each slot name is looked at on disk and claimed under its name's lock
 * (a thread wanting the same name waits; any other does not), which also
 * guards the claims of the names of its hash. */
static enum fa_err find_slot(struct store_file *file, enum slot_state *state)
{
	struct store *store = file->store;
	enum fa_err err = FA_ERR_EXISTS;

	for (unsigned n = 0; n <= (store->one_name ? 0 : STORE_COLLISIONS_MAX); n++) {
		pthread_mutex_t *name_lock;
		bool claimed, claim = false;

		err = set_slot(file, n);
		if (err != FA_OK)
			break;
		name_lock = &store->slot_locks[claim_of(file->slotpath)];
		sync_lock(name_lock);
		claimed = slot_claimed(store, file->slotpath);
		if (claimed) {
			sync_unlock(name_lock);
			err = FA_ERR_EXISTS;
			continue;
		}
		memset(&file->held, 0, sizeof(file->held));
		*state = look_at_slot(file);
		if (*state == SLOT_OTHERS && store->one_name) {
			/* the one file is this URL's: what another URL left
			 * at its name is replaced */
			memset(&file->held, 0, sizeof(file->held));
			*state = SLOT_FREE;
		}
		if (*state == SLOT_OTHERS) {
			sync_unlock(name_lock);
			err = FA_ERR_EXISTS;
			continue;
		}
		if (*state == SLOT_FREE || *state == SLOT_PART || *state == SLOT_BASE ||
		    (*state == SLOT_DONE && timestamping(store)))
			claim = true;
		if (claim)
			claim_slot(file);
		sync_unlock(name_lock);
		break;
	}
	return err;
}

/* A store_file for relpath with its directory open (created if missing);
 * no data file yet.  FA_OK and *out, or an error and nothing left. */
static enum fa_err file_new(struct store *store, const char *relpath, struct store_file **out)
{
	struct store_file *file;
	enum fa_err err;
	size_t dirlen = 0;

	*out = NULL;
	err = check_relpath(relpath, &dirlen);
	if (err != FA_OK)
		return err;
	file = malloc(sizeof(*file));
	if (!file)
		return FA_ERR_NOMEM;
	memset(file, 0, offsetof(struct store_file, record)); /* see the struct */
	file->store = store;
	file->fd = -1;
	file->base_fd = -1;
	file->dirfd = -1;
	file->relpath = strdup(relpath);
	if (!file->relpath) {
		free(file);
		return FA_ERR_NOMEM;
	}
	file->dirlen = dirlen;
	file->name = file->relpath + dirlen;
	err = set_slot(file, 0);
	if (err == FA_OK)
		err = open_parents(file);
	if (err != FA_OK) {
		file_free(file);
		return err;
	}
	*out = file;
	return FA_OK;
}

/* store_open() of a store that streams: a file whose bytes go straight
 * out. */
static enum fa_err open_stream(struct store *store, struct store_file **out)
{
	struct store_file *file = calloc(1, sizeof(*file));

	if (!file)
		return FA_ERR_NOMEM;
	file->store = store;
	file->kind = FILE_STREAM;
	file->fd = store->stream_fd;
	file->base_fd = -1;
	file->dirfd = -1;
	*out = file;
	return FA_OK;
}

enum fa_err store_open(struct store *store, const char *relpath, const char *url,
		       struct store_file **out, char **existing_relpath)
{
	struct store_file *file = NULL;
	enum slot_state state = SLOT_FREE;
	enum fa_err err;
	int saved;

	if (existing_relpath)
		*existing_relpath = NULL;
	if (!out)
		return FA_ERR_ARG;
	*out = NULL;
	if (!store || !relpath)
		return FA_ERR_ARG;
	if (store->one_path) {
		if (strcmp(relpath, store->one_path) != 0)
			return FA_ERR_NAME;
		if (store->stream_fd >= 0)
			return open_stream(store, out);
		relpath = store->one_name;
	}
	err = file_new(store, relpath, &file);
	if (err != FA_OK)
		return err;
	if (url) {
		file->url = strdup(url);
		if (!file->url) {
			err = FA_ERR_NOMEM;
			goto out;
		}
	}
	err = find_slot(file, &state);
	if (err != FA_OK)
		goto out;
	if (state == SLOT_DONE && timestamping(store) &&
	    take_current(file, file->done_html ? file->htmlname : file->slotname)) {
		/* -N: a fresh file that replaces the saved one at the commit */
		file->replace_final = true;
		err = create_fresh(file);
		goto out;
	}
	if (state == SLOT_DONE || state == SLOT_BLOCKED) {
		if (existing_relpath && store->one_path) {
			*existing_relpath = strdup(store->one_path);
		} else if (existing_relpath && file->done_html) {
			size_t n = file->dirlen + strlen(file->htmlname) + 1;

			*existing_relpath = malloc(n);
			if (*existing_relpath)
				snprintf(*existing_relpath, n, "%.*s%s", (int)file->dirlen,
					 file->relpath, file->htmlname);
		} else if (existing_relpath) {
			*existing_relpath = strdup(file->slotpath);
		}
		if (existing_relpath && !*existing_relpath) {
			err = FA_ERR_NOMEM;
			goto out;
		}
		err = FA_ERR_EXISTS;
		errno = EEXIST;
		goto out;
	}
	/* -O FILE replaces FILE when whole; other names are never replaced */
	file->replace_final = store->one_name != NULL;
	if ((store->flags & STORE_CONTINUE) && state == SLOT_BASE && resume_base(file))
		goto out;
	if ((store->flags & STORE_CONTINUE) && state == SLOT_PART && resume_part(file)) {
		/* sidecar mode: the record goes on with the bytes, also when
		 * no response rewrites it (a .part that was whole already) */
		if (store->sidecars && file->held.url && file->held.url[0] && file->url &&
		    strcmp(file->held.url, file->url) == 0)
			file->record_len = record_encode(file->held.url, file->held.etag,
							 file->held.last_modified, file->held.total,
							 false, file->record, sizeof(file->record));
		goto out;
	}
	memset(&file->held, 0, sizeof(file->held));
	file->replace_final = store->one_name != NULL;
	err = create_fresh(file);
out:
	saved = errno;
	if (err != FA_OK) {
		file_free(file);
		file = NULL;
	}
	*out = file;
	errno = saved;
	return err;
}

off_t store_offset(const struct store_file *file)
{
	return file ? file->size : 0;
}

int store_errno(const struct store_file *file)
{
	return file ? file->last_errno : 0;
}

/* Copies a continued base into a new data file, once its continuation is
 * accepted (the first write).  The base stays untouched until the commit. */
static enum fa_err copy_base(struct store_file *file)
{
	off_t want = file->size;
	off_t in = 0;
	enum fa_err err;

	file->size = 0;
	err = create_fresh(file);
	while (err == FA_OK && in < want) {
		ssize_t n =
		    copy_file_range(file->base_fd, &in, file->fd, NULL, (size_t)(want - in), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			file->last_errno = n < 0 ? errno : EIO;
			err = errno_err(file->last_errno);
			break;
		}
		file->size += n;
	}
	close(file->base_fd);
	file->base_fd = -1;
	return err;
}

enum fa_err store_write(struct store_file *file, const void *buf, size_t len)
{
	const char *p = buf;

	if (!file || (!buf && len > 0))
		return FA_ERR_ARG;
	if (file->fd < 0 && file->base_fd >= 0) {
		enum fa_err err = copy_base(file);

		if (err != FA_OK)
			return err;
	}
	while (len > 0) {
		size_t chunk = len > SSIZE_MAX ? SSIZE_MAX : len;
		ssize_t n = write(file->fd, p, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			file->last_errno = n < 0 ? errno : EIO;
			return errno_err(file->last_errno);
		}
		p += n;
		len -= (size_t)n;
		file->size += n;
	}
	return FA_OK;
}

enum fa_err store_restart(struct store_file *file)
{
	if (!file)
		return FA_ERR_ARG;
	if (file->kind == FILE_STREAM)
		return file->size > 0 ? FA_ERR_STREAMED : FA_OK;
	if (file->base_fd >= 0) {
		close(file->base_fd);
		file->base_fd = -1;
	}
	memset(&file->held, 0, sizeof(file->held));
	if (file->fd < 0) {
		file->size = 0;
		return create_fresh(file);
	}
	if (ftruncate(file->fd, 0) != 0 || lseek(file->fd, 0, SEEK_SET) != 0) {
		file->last_errno = errno;
		return errno_err(file->last_errno);
	}
	file->size = 0;
	return FA_OK;
}

/* Gives file the name name in its directory, never replacing one.
 * Returns 0 or -1 with errno set (EEXIST: taken). */
static int publish(struct store_file *file, const char *name)
{
	if (file->kind == FILE_ANON)
		return link_anon(file->store, file->fd, file->dirfd, name);
	return linkat(file->dirfd, file->diskname, file->dirfd, name, 0);
}

/* Removes what a named file left on disk; an anonymous one goes on close. */
static void discard(struct store_file *file)
{
	if (file->kind == FILE_NAMED && file->fd >= 0) {
		unlinkat(file->dirfd, file->diskname, 0);
		sidecar_remove(file->store, file->dirfd, file->diskname);
	}
}

/* Replaces the file at target with file's data in one step (rename over
 * it).  Returns 0 or -1 with errno set. */
static int replace_at(struct store_file *file, const char *target)
{
	char temp[NAME_MAX + 1];

	if (file->kind == FILE_NAMED) {
		if (renameat(file->dirfd, file->diskname, file->dirfd, target) != 0)
			return -1;
		sidecar_remove(file->store, file->dirfd, file->diskname);
		record_follow(file, target);
		return 0;
	}
	for (int i = 0; i < TEMP_TRIES; i++) {
		temp_name(file->store, target, temp, sizeof(temp));
		if (link_anon(file->store, file->fd, file->dirfd, temp) == 0) {
			if (renameat(file->dirfd, temp, file->dirfd, target) == 0) {
				record_follow(file, target);
				return 0;
			}
			int saved = errno;

			unlinkat(file->dirfd, temp, 0);
			errno = saved;
			return -1;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Replaces the continued base at the slot's name (-c), or the saved copy
 * -N found (a mirror's page where it was saved, NAME.html). */
static int replace_base(struct store_file *file)
{
	return replace_at(file,
			  file->has_current && file->done_html ? file->htmlname : file->slotname);
}

/* Whether name is one component store_component() could have made. */
static bool valid_component(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= STORE_COMPONENT_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !reserved_name(name, len);
}

bool store_name_taken(const struct store_file *file, const char *name)
{
	struct stat st;

	if (!(file->store->flags & (STORE_NO_CLOBBER | STORE_CONTINUE)) || file->dirfd < 0)
		return false;
	return fstatat(file->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool store_has_html_ext(const char *name)
{
	size_t len = strlen(name);

	return (len >= 5 && strcasecmp(name + len - 5, ".html") == 0) ||
	       (len >= 4 && strcasecmp(name + len - 4, ".htm") == 0);
}

static enum fa_err commit(struct store_file *file, const char *name, bool html,
			  char **final_relpath);

enum fa_err store_commit(struct store_file *file, char **final_relpath)
{
	return commit(file, NULL, false, final_relpath);
}

enum fa_err store_commit_as(struct store_file *file, const char *name, char **final_relpath)
{
	return commit(file, name, false, final_relpath);
}

enum fa_err store_commit_html(struct store_file *file, char **final_relpath)
{
	return commit(file, NULL, true, final_relpath);
}

/* store_commit_as(), or with html the URL's name plus ".html" (see
 * store_commit_html). */
static enum fa_err commit(struct store_file *file, const char *name, bool html,
			  char **final_relpath)
{
	char html_name[STORE_COMPONENT_MAX + sizeof(".html")];
	size_t namelen;
	char *result;
	char *candidate;
	enum fa_err err = FA_ERR_EXISTS;
	unsigned tries = STORE_COLLISIONS_MAX;
	bool url_named;

	if (final_relpath)
		*final_relpath = NULL;
	if (!file)
		return FA_ERR_ARG;
	if (name && !valid_component(name)) {
		discard(file);
		file_free(file);
		return FA_ERR_NAME;
	}
	if (name && file->current_name[0] && strcmp(name, file->current_name) == 0 &&
	    file->fd >= 0) {
		/* -N with -J: the newer copy takes the saved one's place */
		namelen = file->dirlen + strlen(name) + 1;
		result = malloc(namelen);
		if (!result || replace_at(file, name) != 0) {
			err = result ? errno_err(errno) : FA_ERR_NOMEM;
			file->last_errno = result ? errno : 0;
			free(result);
			discard(file);
			file_free(file);
			return err;
		}
		snprintf(result, namelen, "%.*s%s", (int)file->dirlen, file->relpath, name);
		if (final_relpath)
			*final_relpath = result;
		else
			free(result);
		file_free(file);
		return FA_OK;
	}
	if (file->kind == FILE_STREAM) {
		/* every byte is out already */
		err = FA_OK;
		if (final_relpath && !(*final_relpath = strdup(file->store->one_path)))
			err = FA_ERR_NOMEM;
		file_free(file);
		return err;
	}
	html = html && file && (file->store->flags & STORE_HTML_EXT) &&
	       !store_has_html_ext(file->name);
	if (!name && file && file->replace_final &&
	    (!html || (file->has_current && file->done_html))) {
		/* -c continued this URL's own file, or -N fetched a newer copy
		 * of it: it is replaced whole, or (nothing new was written)
		 * kept as it is. */
		if (file->fd >= 0 && replace_base(file) != 0) {
			file->last_errno = errno;
			err = errno_err(errno);
			discard(file);
			file_free(file);
			return err;
		}
		if (final_relpath && file->has_current && file->done_html) {
			size_t n = file->dirlen + strlen(file->htmlname) + 1;

			*final_relpath = malloc(n);
			if (*final_relpath)
				snprintf(*final_relpath, n, "%.*s%s", (int)file->dirlen,
					 file->relpath, file->htmlname);
			if (!*final_relpath) {
				file_free(file);
				return FA_ERR_NOMEM;
			}
		} else if (final_relpath &&
			   !(*final_relpath = strdup(file->store->one_path ? file->store->one_path
									   : file->slotpath))) {
			file_free(file);
			return FA_ERR_NOMEM;
		}
		file_free(file);
		return FA_OK;
	}
	url_named = !name;
	if (html) {
		snprintf(html_name, sizeof(html_name), "%s.html", file->name);
		name = html_name;
	} else if (!name) {
		name = file->name;
	} else if (file->store->flags & (STORE_NO_CLOBBER | STORE_CONTINUE)) {
		tries = 0; /* a server-chosen name that exists is skipped */
	}
	namelen = strlen(name);
	result = malloc(file->dirlen + namelen + sizeof(".999"));
	if (!result) {
		discard(file);
		file_free(file);
		return FA_ERR_NOMEM;
	}
	memcpy(result, file->relpath, file->dirlen);
	memcpy(result + file->dirlen, name, namelen + 1);
	candidate = result + file->dirlen;
	/* -c and -nc start at the URL's slot, so the names stay in the order
	 * an earlier run gave them. */
	for (unsigned n = url_named && (file->store->flags & (STORE_NO_CLOBBER | STORE_CONTINUE))
			      ? file->slot
			      : 0;
	     n <= STORE_COLLISIONS_MAX; n++) {
		if (n > tries)
			break;
		if (n > 0)
			snprintf(candidate + namelen, sizeof(".999"), ".%u", n);
		if (publish(file, candidate) == 0) {
			err = FA_OK;
			break;
		}
		if (errno != EEXIST) {
			file->last_errno = errno;
			err = errno_err(errno);
			break;
		}
	}
	if (err == FA_OK) {
		record_follow(file, candidate);
		discard(file); /* the temporary name of a named file */
		if (final_relpath) {
			*final_relpath = result;
			result = NULL;
		}
	} else {
		discard(file);
	}
	free(result);
	if (err != FA_OK)
		errno = file->last_errno ? file->last_errno : EEXIST;
	file_free(file);
	return err;
}

enum fa_err store_rewrite(struct store *store, const char *relpath, const void *data, size_t len)
{
	struct store_file *file = NULL;
	enum fa_err err;
	struct stat st;
	int fd;

	if (!store || !relpath || (!data && len > 0))
		return FA_ERR_ARG;
	err = file_new(store, relpath, &file);
	if (err != FA_OK)
		return err;
	if (fstatat(file->dirfd, file->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		err = errno_err(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL; /* a link, a directory: never replaced */
		err = FA_ERR_IO;
		goto out;
	}
	fd = create_temp(store, file->dirfd, file->name, file->diskname, sizeof(file->diskname));
	if (fd < 0) {
		err = errno_err(errno);
		goto out;
	}
	file->fd = fd;
	file->kind = FILE_NAMED;
	err = store_write(file, data, len);
	{
		/* The record goes with the content, marked converted, so -c
		 * knows the file is this URL's and its links are local. */
		char buf[STORE_RECORD_MAX], out[STORE_RECORD_MAX];
		struct store_record rec;
		size_t n;

		if (err == FA_OK && record_read(store, file->dirfd, file->name, buf, &rec)) {
			n = record_encode(rec.url, rec.etag, rec.last_modified, rec.total, true,
					  out, sizeof(out));
			if (n > 0 && store->sidecars)
				sidecar_write(store, file->dirfd, file->name, out, n);
			else if (n > 0)
				(void)fsetxattr(fd, RECORD_XATTR, out, n, 0);
		}
	}
	if (err == FA_OK && renameat(file->dirfd, file->diskname, file->dirfd, file->name) != 0)
		err = errno_err(errno);
	if (err != FA_OK)
		discard(file);
out:
	file_free(file);
	return err;
}

bool store_saved_record(struct store *store, const char *relpath, char *buf,
			struct store_record *rec)
{
	struct store_file *file = NULL;
	bool found;

	if (!store || !relpath || file_new(store, relpath, &file) != FA_OK)
		return false;
	found = record_read(store, file->dirfd, file->name, buf, rec);
	file_free(file);
	return found;
}

enum fa_err store_read(struct store *store, const char *relpath, size_t max, char **data,
		       size_t *len)
{
	struct store_file *file = NULL;
	enum fa_err err;
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd = -1;

	if (!data || !len)
		return FA_ERR_ARG;
	*data = NULL;
	*len = 0;
	if (!store || !relpath)
		return FA_ERR_ARG;
	err = file_new(store, relpath, &file);
	if (err != FA_OK)
		return err;
	fd = openat(file->dirfd, file->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = errno_err(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		err = FA_ERR_IO;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err = FA_ERR_TOO_LONG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = FA_ERR_NOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* never hand out part of a file as if it were all of it */
			err = errno_err(errno);
			goto out;
		}
		if (got == 0)
			break; /* shorter than it was: what is there */
		n += (size_t)got;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	file_free(file);
	return err;
}

/* file's directory holds a .part of this run's from now on (no_parts()):
 * its entry, whichever file opened it, and the store's, say so. */
static void parts_kept(struct store_file *file)
{
	struct store *store = file->store;
	size_t dlen = file->dirlen ? file->dirlen - 1 : 0;
	struct dir_entry *e;

	atomic_fetch_add(&store->parts_kept, 1);
	if (!dlen) {
		atomic_store(&store->no_parts, false);
		return;
	}
	sync_lock(&store->lock);
	e = dir_find(store, file->relpath, dlen);
	if (e)
		atomic_store(&e->no_parts, false);
	sync_unlock(&store->lock);
}

/* keep_as_part(): NAME.part in place, replacing the slot's old one. */
static void link_part(struct store_file *file)
{
	char temp[NAME_MAX + 1];
	char part[NAME_MAX + 1];

	snprintf(part, sizeof(part), "%s%s", file->slotname, PART_SUFFIX);
	if (file->kind == FILE_NAMED) {
		if (strcmp(file->diskname, part) != 0 &&
		    renameat(file->dirfd, file->diskname, file->dirfd, part) != 0)
			discard(file);
		else
			record_follow(file, part);
		return;
	}
	if (link_anon(file->store, file->fd, file->dirfd, part) == 0) {
		record_follow(file, part);
		return;
	}
	if (errno != EEXIST)
		return;
	/* Replace the old NAME.part (the slot's, so this URL's or one with no
	 * record) in one step, never leaving none. */
	for (int i = 0; i < TEMP_TRIES; i++) {
		temp_name(file->store, file->slotname, temp, sizeof(temp));
		if (link_anon(file->store, file->fd, file->dirfd, temp) == 0) {
			if (renameat(file->dirfd, temp, file->dirfd, part) != 0)
				unlinkat(file->dirfd, temp, 0);
			else
				record_follow(file, part);
			return;
		}
		if (errno != EEXIST)
			return;
	}
}

/* Keeps file's bytes as its slot's NAME.part, for -c (see store_abort).
 * Marked kept once linked (the
 * slot is still claimed), so that a directory looked at meanwhile is
 * seen to have been at a wrong moment (parts_kept()). */
static void keep_as_part(struct store_file *file)
{
	if (file->fd < 0)
		return; /* a continued base nothing was added to: left as it was */
	link_part(file);
	parts_kept(file);
}

void store_abort(struct store_file *file, bool keep_part)
{
	if (!file)
		return;
	if (file->kind == FILE_STREAM)
		; /* what was written is out: nothing to keep or remove */
	else if (keep_part && file->size > 0)
		keep_as_part(file);
	else
		discard(file);
	file_free(file);
}

bool store_current_as(struct store_file *file, const char *name)
{
	if (!file || file->has_current || !timestamping(file->store) || file->store->one_path ||
	    file->kind == FILE_STREAM || !valid_component(name) || !take_current(file, name))
		return false;
	/* another URL's file of the same name is not this one's copy */
	if (file->current.recorded && (!file->url || strcmp(file->current.record.url, file->url))) {
		file->has_current = false;
		return false;
	}
	snprintf(file->current_name, sizeof(file->current_name), "%s", name);
	return true;
}

const struct store_current *store_current(const struct store_file *file)
{
	return file && file->has_current ? &file->current : NULL;
}

enum fa_err store_set_mtime(struct store_file *file, time_t mtime)
{
	struct timespec times[2] = {{0, UTIME_OMIT}, {mtime, 0}};

	if (!file || file->fd < 0)
		return FA_OK; /* nothing written: the file kept keeps its time */
	if (futimens(file->fd, times) != 0) {
		file->last_errno = errno;
		return FA_ERR_IO;
	}
	return FA_OK;
}
