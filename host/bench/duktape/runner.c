/*
 * The board-speed proxy's runner: Duktape (a small bytecode interpreter, like Kaluma's JerryScript)
 * with the globals a Kaluma 1.2.1 program calls made native, as they are on the board, so that they
 * cost one native call and not a JavaScript stand-in's extra calls:
 *   Math.fround            (C float rounding, round to nearest even, as IEEE)
 *   atob(string)           -> Uint8Array  (Kaluma's form, not the web's: bytes, decoded in C;
 *                                          undefined for bad input)
 *   btoa(Uint8Array|str)   -> string      (base64 of the bytes, a line feed every 72 characters)
 *   millis(), micros()     this process's CPU time since start, times the clock scale (see below)
 *   console.log(...)       one output line, stamped with the CPU time at the call
 *   setTimeout/clearTimeout/setInterval/clearInterval   Kaluma's timers, run by the loop below
 *   process.memoryUsage(), process.version              stand-ins for the hello and status records
 *
 * Usage: runner [--clock-scale K] SESSION
 * SESSION is a text file of steps, one per line:
 *   L PATH    evaluate the file PATH as a global script (the flashed program, or a hand loop)
 *   R CODE    evaluate one REPL line, as Kaluma's REPL does (global code), and print its result
 *   T         run timers, in due order, until none is left (the firmware's training slices)
 *   M TEXT    print TEXT as a marker line (stamped like any other line)
 * Output: every line is "<CPU µs since start>\t<text>" on stdout. A load error or an error thrown by
 * a timer callback (which restarts the runtime on a real board) prints "!ERROR <message>" and exits
 * with status 3; an error in a REPL line prints "!REPLERROR <message>" and the session goes on.
 *
 * The clock scale: the firmware sizes its training slices by millis() (about 8 ms each). On a
 * desktop, Duktape runs tens of times faster than the RP2040, so with unscaled CPU time a slice
 * would hold tens of times more samples than on the board, and the per-slice costs (a kernel call
 * and its prologue) would almost vanish. The bench passes the ratio of board time to proxy time
 * (from the hand loops) so that millis() reads like the board's clock and slices hold what they
 * hold on the board. The stamps on output lines are always unscaled CPU time.
 *
 * Timers never wait: a timer whose delay has not elapsed runs anyway, in due order (the bench's
 * programs only use setTimeout(f, 0)); the board's idle time between slices is not charged.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "duktape.h"

static double clock_scale = 1.0;
static double start_ns = 0.0;

static double cpu_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* Unscaled CPU µs since start: the stamp of every output line. */
static double stamp_us(void) {
	return (cpu_ns() - start_ns) / 1e3;
}

static void out_line(const char *text, size_t len) {
	printf("%.3f\t", stamp_us());
	fwrite(text, 1, len, stdout);
	fputc('\n', stdout);
}

/* ------------------------------------------------------------------ Kaluma's globals */

static duk_ret_t native_fround(duk_context *ctx) {
	double v = duk_to_number(ctx, 0);
	duk_push_number(ctx, (double) (float) v);
	return 1;
}

static duk_ret_t native_millis(duk_context *ctx) {
	duk_push_number(ctx, (cpu_ns() - start_ns) / 1e6 * clock_scale);
	return 1;
}

static duk_ret_t native_micros(duk_context *ctx) {
	duk_push_number(ctx, (cpu_ns() - start_ns) / 1e3 * clock_scale);
	return 1;
}

static duk_ret_t native_console_log(duk_context *ctx) {
	double t = stamp_us();
	duk_idx_t n = duk_get_top(ctx);
	printf("%.3f\t", t);
	for (duk_idx_t i = 0; i < n; i++) {
		duk_size_t len;
		const char *s = duk_safe_to_lstring(ctx, i, &len);
		if (i > 0) fputc(' ', stdout);
		fwrite(s, 1, len, stdout);
	}
	fputc('\n', stdout);
	return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c) {
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/*
 * atob(string) -> Uint8Array, as Kaluma 1.2.1's (src/global.c over src/base64.c): the bytes, not a
 * binary string. Characters outside the alphabet are skipped; what is left must come in whole groups
 * of four, or the answer is undefined (the web's atob would throw). The first group with '=' ends
 * the data.
 */
static duk_ret_t native_atob(duk_context *ctx) {
	duk_size_t len;
	if (!duk_is_string(ctx, 0)) return duk_error(ctx, DUK_ERR_TYPE_ERROR, "\"encodedData\" argument must be a string");
	const char *s = duk_get_lstring(ctx, 0, &len);
	size_t count = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];
		if (c == '=' || b64_value(c) >= 0) count++;
	}
	if (count == 0 || count % 4 != 0) return 0; /* undefined */
	unsigned char *out = (unsigned char *) duk_push_fixed_buffer(ctx, count / 4 * 3);
	int block[4];
	size_t pos = 0;
	int n = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];
		int v = c == '=' ? 0 : b64_value(c);
		if (c != '=' && v < 0) continue;
		if (c == '=') pad++;
		block[n++] = v;
		if (n == 4) {
			out[pos++] = (unsigned char) ((block[0] << 2) | (block[1] >> 4));
			out[pos++] = (unsigned char) ((block[1] << 4) | (block[2] >> 2));
			out[pos++] = (unsigned char) ((block[2] << 6) | block[3]);
			n = 0;
			if (pad > 0) {
				if (pad > 2) return 0; /* undefined */
				pos -= (size_t) pad;
				break;
			}
		}
	}
	duk_push_buffer_object(ctx, -1, 0, pos, DUK_BUFOBJ_UINT8ARRAY);
	return 1;
}

/*
 * btoa(Uint8Array or string) -> base64 string, as Kaluma 1.2.1's: a line feed after every 72
 * characters (none at the end), and undefined for no bytes. (A record's bits are at most 48 bytes,
 * 64 characters: one line.)
 */
static duk_ret_t native_btoa(duk_context *ctx) {
	duk_size_t len = 0;
	const unsigned char *p;
	if (duk_is_string(ctx, 0)) p = (const unsigned char *) duk_get_lstring(ctx, 0, &len);
	else if (duk_is_buffer_data(ctx, 0)) p = (const unsigned char *) duk_get_buffer_data(ctx, 0, &len);
	else return duk_error(ctx, DUK_ERR_TYPE_ERROR, "Unsupported binary data.");
	if (len == 0) return 0; /* undefined */
	size_t groups = (len + 2) / 3;
	char *out = (char *) malloc(groups * 4 + groups / 18 + 2);
	if (!out) return duk_error(ctx, DUK_ERR_RANGE_ERROR, "btoa: out of memory");
	size_t o = 0;
	int line = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned long a = p[i], b = i + 1 < len ? p[i + 1] : 0, c = i + 2 < len ? p[i + 2] : 0;
		unsigned long w = (a << 16) | (b << 8) | c;
		out[o++] = B64[(w >> 18) & 63];
		out[o++] = B64[(w >> 12) & 63];
		out[o++] = i + 1 < len ? B64[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? B64[w & 63] : '=';
		line += 4;
		if (line >= 72 && i + 3 < len) {
			out[o++] = '\n';
			line = 0;
		}
	}
	duk_push_lstring(ctx, out, o);
	free(out);
	return 1;
}

static duk_ret_t native_memory_usage(duk_context *ctx) {
	/* Not a measurement: the proxy does not model the board's heap (the bench reports no heap figure). */
	duk_push_object(ctx);
	duk_push_int(ctx, 184312);
	duk_put_prop_string(ctx, -2, "heapTotal");
	duk_push_int(ctx, 0);
	duk_put_prop_string(ctx, -2, "heapUsed");
	duk_push_int(ctx, 0);
	duk_put_prop_string(ctx, -2, "heapPeak");
	return 1;
}

/* ------------------------------------------------------------------ timers */

typedef struct {
	int id;
	double due;       /* scaled ms, as millis() reads */
	double interval;  /* > 0 for setInterval */
	unsigned long seq; /* creation order: ties run first-come */
} timer_t_;

#define MAX_TIMERS 256
static timer_t_ timers[MAX_TIMERS];
static int ntimers = 0;
static int next_id = 1;
static unsigned long next_seq = 0;

static double now_ms(void) {
	return (cpu_ns() - start_ns) / 1e6 * clock_scale;
}

static duk_ret_t add_timer(duk_context *ctx, int repeat) {
	duk_require_function(ctx, 0);
	double delay = duk_is_number(ctx, 1) ? duk_get_number(ctx, 1) : 0;
	if (!(delay >= 0)) delay = 0;
	if (ntimers >= MAX_TIMERS) return duk_error(ctx, DUK_ERR_RANGE_ERROR, "too many timers");
	int id = next_id++;
	duk_push_global_stash(ctx);
	duk_dup(ctx, 0);
	duk_put_prop_index(ctx, -2, (duk_uarridx_t) id);
	duk_pop(ctx);
	timers[ntimers].id = id;
	timers[ntimers].due = now_ms() + delay;
	timers[ntimers].interval = repeat ? (delay > 0 ? delay : 1) : 0;
	timers[ntimers].seq = next_seq++;
	ntimers++;
	duk_push_int(ctx, id);
	return 1;
}

static void forget_timer_at(duk_context *ctx, int k) {
	duk_push_global_stash(ctx);
	duk_del_prop_index(ctx, -1, (duk_uarridx_t) timers[k].id);
	duk_pop(ctx);
	timers[k] = timers[--ntimers];
}

static duk_ret_t native_set_timeout(duk_context *ctx) { return add_timer(ctx, 0); }
static duk_ret_t native_set_interval(duk_context *ctx) { return add_timer(ctx, 1); }

static duk_ret_t native_clear_timer(duk_context *ctx) {
	if (!duk_is_number(ctx, 0)) return 0;
	int id = duk_get_int(ctx, 0);
	for (int k = 0; k < ntimers; k++) {
		if (timers[k].id == id) {
			forget_timer_at(ctx, k);
			break;
		}
	}
	return 0;
}

static void print_error(duk_context *ctx, const char *tag) {
	/* The stack when there is one: it names the bundle line that threw. */
	if (duk_is_error(ctx, -1)) {
		duk_get_prop_string(ctx, -1, "stack");
		if (!duk_is_string(ctx, -1)) {
			duk_pop(ctx);
			duk_dup(ctx, -1);
		}
	} else {
		duk_dup(ctx, -1);
	}
	duk_size_t len;
	const char *s = duk_safe_to_lstring(ctx, -1, &len);
	printf("%.3f\t%s ", stamp_us(), tag);
	for (duk_size_t i = 0; i < len; i++) fputc(s[i] == '\n' ? ' ' : s[i], stdout);
	fputc('\n', stdout);
	duk_pop(ctx);
}

/* Runs timers until none is left; returns 0, or -1 after an uncaught error in a callback. */
static int run_timers(duk_context *ctx) {
	while (ntimers > 0) {
		int best = 0;
		for (int k = 1; k < ntimers; k++) {
			if (timers[k].due < timers[best].due || (timers[k].due == timers[best].due && timers[k].seq < timers[best].seq)) best = k;
		}
		int id = timers[best].id;
		duk_push_global_stash(ctx);
		duk_get_prop_index(ctx, -1, (duk_uarridx_t) id);
		duk_remove(ctx, -2);
		if (timers[best].interval > 0) {
			timers[best].due += timers[best].interval;
			timers[best].seq = next_seq++;
		} else {
			forget_timer_at(ctx, best);
		}
		if (duk_pcall(ctx, 0) != DUK_EXEC_SUCCESS) {
			print_error(ctx, "!ERROR");
			duk_pop(ctx);
			return -1;
		}
		duk_pop(ctx);
	}
	return 0;
}

/* ------------------------------------------------------------------ set-up and the session */

static void put_function(duk_context *ctx, const char *name, duk_c_function fn, duk_idx_t nargs) {
	duk_push_c_function(ctx, fn, nargs);
	duk_put_prop_string(ctx, -2, name);
}

static void install_globals(duk_context *ctx) {
	duk_push_global_object(ctx);
	put_function(ctx, "atob", native_atob, 1);
	put_function(ctx, "btoa", native_btoa, 1);
	put_function(ctx, "millis", native_millis, 0);
	put_function(ctx, "micros", native_micros, 0);
	put_function(ctx, "setTimeout", native_set_timeout, DUK_VARARGS);
	put_function(ctx, "setInterval", native_set_interval, DUK_VARARGS);
	put_function(ctx, "clearTimeout", native_clear_timer, 1);
	put_function(ctx, "clearInterval", native_clear_timer, 1);
	duk_push_object(ctx);
	put_function(ctx, "log", native_console_log, DUK_VARARGS);
	put_function(ctx, "error", native_console_log, DUK_VARARGS);
	duk_put_prop_string(ctx, -2, "console");
	duk_push_object(ctx);
	put_function(ctx, "memoryUsage", native_memory_usage, 0);
	duk_push_string(ctx, "v1.2.1-duktape-proxy");
	duk_put_prop_string(ctx, -2, "version");
	duk_put_prop_string(ctx, -2, "process");
	duk_get_prop_string(ctx, -1, "Math");
	put_function(ctx, "fround", native_fround, 1);
	duk_pop(ctx);
	duk_pop(ctx);
}

static char *read_file(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = (char *) malloc((size_t) n + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	size_t got = fread(buf, 1, (size_t) n, f);
	fclose(f);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static int load_script(duk_context *ctx, const char *path) {
	size_t len;
	char *src = read_file(path, &len);
	if (!src) {
		printf("%.3f\t!ERROR cannot read %s\n", stamp_us(), path);
		return -1;
	}
	duk_push_string(ctx, path);
	int rc = duk_pcompile_lstring_filename(ctx, 0, src, len);
	free(src);
	if (rc != 0 || duk_pcall(ctx, 0) != DUK_EXEC_SUCCESS) {
		print_error(ctx, "!ERROR");
		duk_pop(ctx);
		return -1;
	}
	duk_pop(ctx);
	return 0;
}

static void repl_line(duk_context *ctx, const char *code, size_t len) {
	if (duk_peval_lstring(ctx, code, len) != 0) {
		print_error(ctx, "!REPLERROR");
	} else {
		/* Kaluma prints every REPL line's result (with .echo off, `undefined` in grey). */
		duk_size_t n;
		const char *s = duk_safe_to_lstring(ctx, -1, &n);
		printf("%.3f\t\x1b[90m", stamp_us());
		fwrite(s, 1, n, stdout);
		fputs("\x1b[0m\n", stdout);
	}
	duk_pop(ctx);
}

int main(int argc, char **argv) {
	const char *session = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--clock-scale") == 0 && i + 1 < argc) clock_scale = atof(argv[++i]);
		else session = argv[i];
	}
	if (!session || !(clock_scale > 0)) {
		fprintf(stderr, "usage: runner [--clock-scale K] SESSION\n");
		return 64;
	}
	/* Output goes to a pipe: a large buffer keeps printing from costing a system call per line. */
	static char outbuf[1 << 20];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	size_t slen;
	char *steps = read_file(session, &slen);
	if (!steps) {
		fprintf(stderr, "runner: cannot read %s\n", session);
		return 66;
	}
	start_ns = cpu_ns();
	duk_context *ctx = duk_create_heap_default();
	if (!ctx) {
		fprintf(stderr, "runner: no Duktape heap\n");
		return 70;
	}
	install_globals(ctx);
	int status = 0;
	char *line = steps;
	while (line && *line && status == 0) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t) (nl - line) : strlen(line);
		if (len >= 1) {
			char op = line[0];
			const char *arg = len > 2 ? line + 2 : "";
			size_t alen = len > 2 ? len - 2 : 0;
			if (op == 'L') {
				char *path = strndup(arg, alen);
				if (load_script(ctx, path) != 0) status = 3;
				free(path);
			} else if (op == 'R') {
				repl_line(ctx, arg, alen);
			} else if (op == 'T') {
				if (run_timers(ctx) != 0) status = 3;
			} else if (op == 'M') {
				out_line(arg, alen);
			} else {
				fprintf(stderr, "runner: unknown step '%c'\n", op);
				status = 64;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	fflush(stdout);
	duk_destroy_heap(ctx);
	free(steps);
	return status;
}
