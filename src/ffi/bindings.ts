/**
 * The typed OpenSSL functions the library calls. Every OpenSSL object is a pointer declared as
 * `uintptr_t` (a JS number; 0 is NULL) and every byte buffer a `void *` (a Buffer passed without a copy).
 * Nothing here owns anything: ownership lives in the modules that create objects (see `objects.ts`).
 *
 * @module
 */
import { cryptoLib, sslLib, type KoffiLibrary } from './library.js';

/** An OpenSSL pointer (`SSL *`, `SSL_CTX *`, `BIO *`, …); `0` is NULL. */
export type Ptr = number;
/** Memory OpenSSL reads or writes: a Buffer (or `null` for NULL). */
type Mem = Uint8Array | null;

function declare(lib: KoffiLibrary) {
  const f = <T>(decl: string): T => lib.func(decl) as unknown as T;
  return {
    // --- libcrypto: versions, errors, memory ---
    OpenSSL_version_num: f<() => number>('unsigned long OpenSSL_version_num()'),
    OpenSSL_version: f<(t: number) => string>('const char *OpenSSL_version(int t)'),
    OPENSSL_info: f<(t: number) => string | null>('const char *OPENSSL_info(int t)'),
    ERR_get_error: f<() => number>('unsigned long ERR_get_error()'),
    ERR_clear_error: f<() => void>('void ERR_clear_error()'),
    ERR_error_string_n: f<(e: number, buf: Mem, len: number) => void>('void ERR_error_string_n(unsigned long e, void *buf, size_t len)'),
    ERR_reason_error_string: f<(e: number) => string | null>('const char *ERR_reason_error_string(unsigned long e)'),
    CRYPTO_free: f<(p: Ptr, file: string, line: number) => void>('void CRYPTO_free(uintptr_t p, const char *file, int line)'),
    OSSL_PROVIDER_load: f<(libctx: Ptr, name: string) => Ptr>('uintptr_t OSSL_PROVIDER_load(uintptr_t libctx, const char *name)'),
    OSSL_PROVIDER_available: f<(libctx: Ptr, name: string) => number>('int OSSL_PROVIDER_available(uintptr_t libctx, const char *name)'),

    // --- digests ---
    EVP_MD_fetch: f<(libctx: Ptr, name: string, props: string | null) => Ptr>('uintptr_t EVP_MD_fetch(uintptr_t libctx, const char *name, const char *props)'),
    EVP_MD_free: f<(md: Ptr) => void>('void EVP_MD_free(uintptr_t md)'),
    EVP_MD_get_size: f<(md: Ptr) => number>('int EVP_MD_get_size(uintptr_t md)'),
    EVP_MD_CTX_new: f<() => Ptr>('uintptr_t EVP_MD_CTX_new()'),
    EVP_MD_CTX_free: f<(ctx: Ptr) => void>('void EVP_MD_CTX_free(uintptr_t ctx)'),
    EVP_DigestInit_ex: f<(ctx: Ptr, md: Ptr, engine: Ptr) => number>('int EVP_DigestInit_ex(uintptr_t ctx, uintptr_t md, uintptr_t engine)'),
    EVP_DigestUpdate: f<(ctx: Ptr, data: Mem, len: number) => number>('int EVP_DigestUpdate(uintptr_t ctx, void *data, size_t len)'),
    EVP_DigestFinal_ex: f<(ctx: Ptr, out: Mem, outLen: Mem) => number>('int EVP_DigestFinal_ex(uintptr_t ctx, void *out, void *outLen)'),

    // --- BIOs ---
    BIO_s_mem: f<() => Ptr>('uintptr_t BIO_s_mem()'),
    BIO_new: f<(method: Ptr) => Ptr>('uintptr_t BIO_new(uintptr_t method)'),
    BIO_new_mem_buf: f<(buf: Mem, len: number) => Ptr>('uintptr_t BIO_new_mem_buf(void *buf, int len)'),
    BIO_new_file: f<(path: string, mode: string) => Ptr>('uintptr_t BIO_new_file(const char *path, const char *mode)'),
    BIO_free: f<(bio: Ptr) => number>('int BIO_free(uintptr_t bio)'),
    BIO_read: f<(bio: Ptr, buf: Mem, len: number) => number>('int BIO_read(uintptr_t bio, void *buf, int len)'),
    BIO_write: f<(bio: Ptr, buf: Mem, len: number) => number>('int BIO_write(uintptr_t bio, void *buf, int len)'),
    // The same two with the buffer as an address (see `bufferAddress`): only for the engine's own buffers.
    BIO_read_at: f<(bio: Ptr, at: number, len: number) => number>('int BIO_read(uintptr_t bio, uintptr_t buf, int len)'),
    BIO_write_at: f<(bio: Ptr, at: number, len: number) => number>('int BIO_write(uintptr_t bio, uintptr_t buf, int len)'),
    /** A read-only memory BIO over memory the caller owns and keeps unchanged while the BIO lives. */
    BIO_new_mem_buf_at: f<(at: number, len: number) => Ptr>('uintptr_t BIO_new_mem_buf(uintptr_t buf, int len)'),
    BIO_up_ref: f<(bio: Ptr) => number>('int BIO_up_ref(uintptr_t bio)'),
    BIO_ctrl: f<(bio: Ptr, cmd: number, larg: number, parg: Ptr) => number>('long BIO_ctrl(uintptr_t bio, int cmd, long larg, uintptr_t parg)'),
    BIO_ctrl_pending: f<(bio: Ptr) => number>('size_t BIO_ctrl_pending(uintptr_t bio)'),

    // --- certificates and keys ---
    PEM_read_bio_X509: f<(bio: Ptr, x: Ptr, cb: Ptr, u: Ptr) => Ptr>('uintptr_t PEM_read_bio_X509(uintptr_t bio, uintptr_t x, uintptr_t cb, uintptr_t u)'),
    PEM_write_bio_X509: f<(bio: Ptr, x: Ptr) => number>('int PEM_write_bio_X509(uintptr_t bio, uintptr_t x)'),
    PEM_read_bio_PrivateKey: f<(bio: Ptr, x: Ptr, cb: Ptr, u: Ptr) => Ptr>('uintptr_t PEM_read_bio_PrivateKey(uintptr_t bio, uintptr_t x, uintptr_t cb, uintptr_t u)'),
    d2i_X509_bio: f<(bio: Ptr, x: Ptr) => Ptr>('uintptr_t d2i_X509_bio(uintptr_t bio, uintptr_t x)'),
    X509_STORE_add_cert: f<(store: Ptr, x: Ptr) => number>('int X509_STORE_add_cert(uintptr_t store, uintptr_t x)'),
    OPENSSL_sk_new_null: f<() => Ptr>('uintptr_t OPENSSL_sk_new_null()'),
    d2i_PrivateKey_bio: f<(bio: Ptr, x: Ptr) => Ptr>('uintptr_t d2i_PrivateKey_bio(uintptr_t bio, uintptr_t x)'),
    EVP_PKEY_free: f<(k: Ptr) => void>('void EVP_PKEY_free(uintptr_t k)'),
    EVP_PKEY_get_base_id: f<(k: Ptr) => number>('int EVP_PKEY_get_base_id(uintptr_t k)'),
    X509_free: f<(x: Ptr) => void>('void X509_free(uintptr_t x)'),
    X509_get_subject_name: f<(x: Ptr) => Ptr>('uintptr_t X509_get_subject_name(uintptr_t x)'),
    X509_get_issuer_name: f<(x: Ptr) => Ptr>('uintptr_t X509_get_issuer_name(uintptr_t x)'),
    X509_NAME_oneline: f<(name: Ptr, buf: Mem, size: number) => Ptr>('uintptr_t X509_NAME_oneline(uintptr_t name, void *buf, int size)'),
    X509_NAME_get_text_by_NID: f<(name: Ptr, nid: number, buf: Mem, len: number) => number>('int X509_NAME_get_text_by_NID(uintptr_t name, int nid, void *buf, int len)'),
    X509_check_host: f<(x: Ptr, name: string, len: number, flags: number, peer: Ptr) => number>('int X509_check_host(uintptr_t x, const char *name, size_t len, unsigned int flags, uintptr_t peer)'),
    X509_check_ip_asc: f<(x: Ptr, ip: string, flags: number) => number>('int X509_check_ip_asc(uintptr_t x, const char *ip, unsigned int flags)'),
    X509_get_signature_nid: f<(x: Ptr) => number>('int X509_get_signature_nid(uintptr_t x)'),
    OBJ_find_sigid_algs: f<(sig: number, dig: Mem, pkey: Mem) => number>('int OBJ_find_sigid_algs(int sig, void *dig, void *pkey)'),
    OBJ_nid2sn: f<(nid: number) => string | null>('const char *OBJ_nid2sn(int nid)'),
    X509_digest: f<(x: Ptr, md: Ptr, out: Mem, len: Mem) => number>('int X509_digest(uintptr_t x, uintptr_t md, void *out, void *len)'),
    X509_verify_cert_error_string: f<(n: number) => string>('const char *X509_verify_cert_error_string(long n)'),
    X509_STORE_CTX_get_error: f<(ctx: Ptr) => number>('int X509_STORE_CTX_get_error(uintptr_t ctx)'),
    X509_STORE_CTX_get_error_depth: f<(ctx: Ptr) => number>('int X509_STORE_CTX_get_error_depth(uintptr_t ctx)'),
    X509_STORE_CTX_get0_chain: f<(ctx: Ptr) => Ptr>('uintptr_t X509_STORE_CTX_get0_chain(uintptr_t ctx)'),
    X509_STORE_CTX_get_ex_data: f<(ctx: Ptr, idx: number) => Ptr>('uintptr_t X509_STORE_CTX_get_ex_data(uintptr_t ctx, int idx)'),
    X509_VERIFY_PARAM_set1_host: f<(p: Ptr, name: string, len: number) => number>('int X509_VERIFY_PARAM_set1_host(uintptr_t p, const char *name, size_t len)'),
    X509_VERIFY_PARAM_set1_ip_asc: f<(p: Ptr, ip: string) => number>('int X509_VERIFY_PARAM_set1_ip_asc(uintptr_t p, const char *ip)'),
    X509_VERIFY_PARAM_set_hostflags: f<(p: Ptr, flags: number) => void>('void X509_VERIFY_PARAM_set_hostflags(uintptr_t p, unsigned int flags)'),
    X509_get_default_cert_file: f<() => string>('const char *X509_get_default_cert_file()'),
    X509_get_default_cert_dir: f<() => string>('const char *X509_get_default_cert_dir()'),
    X509_get_default_cert_file_env: f<() => string>('const char *X509_get_default_cert_file_env()'),
    X509_get_default_cert_dir_env: f<() => string>('const char *X509_get_default_cert_dir_env()'),
    X509_up_ref: f<(x: Ptr) => number>('int X509_up_ref(uintptr_t x)'),
    OPENSSL_sk_num: f<(sk: Ptr) => number>('int OPENSSL_sk_num(uintptr_t sk)'),
    OPENSSL_sk_value: f<(sk: Ptr, i: number) => Ptr>('uintptr_t OPENSSL_sk_value(uintptr_t sk, int i)'),
    OPENSSL_sk_pop_free: f<(sk: Ptr, fn: Ptr) => void>('void OPENSSL_sk_pop_free(uintptr_t sk, uintptr_t fn)'),
  };
}

function declareSsl(lib: KoffiLibrary) {
  const f = <T>(decl: string): T => lib.func(decl) as unknown as T;
  return {
    TLS_client_method: f<() => Ptr>('uintptr_t TLS_client_method()'),
    TLS_server_method: f<() => Ptr>('uintptr_t TLS_server_method()'),
    SSL_CTX_new: f<(method: Ptr) => Ptr>('uintptr_t SSL_CTX_new(uintptr_t method)'),
    SSL_CTX_free: f<(ctx: Ptr) => void>('void SSL_CTX_free(uintptr_t ctx)'),
    SSL_CTX_ctrl: f<(ctx: Ptr, cmd: number, larg: number, parg: Ptr) => number>('long SSL_CTX_ctrl(uintptr_t ctx, int cmd, long larg, uintptr_t parg)'),
    SSL_CTX_callback_ctrl: f<(ctx: Ptr, cmd: number, fp: unknown) => number>('long SSL_CTX_callback_ctrl(uintptr_t ctx, int cmd, void *fp)'),
    SSL_CTX_set_options: f<(ctx: Ptr, op: number) => number>('uint64_t SSL_CTX_set_options(uintptr_t ctx, uint64_t op)'),
    SSL_CTX_set_security_level: f<(ctx: Ptr, level: number) => void>('void SSL_CTX_set_security_level(uintptr_t ctx, int level)'),
    SSL_CTX_get_security_level: f<(ctx: Ptr) => number>('int SSL_CTX_get_security_level(uintptr_t ctx)'),
    SSL_CTX_use_certificate_chain_file: f<(ctx: Ptr, path: string) => number>('int SSL_CTX_use_certificate_chain_file(uintptr_t ctx, const char *path)'),
    SSL_CTX_use_certificate: f<(ctx: Ptr, x: Ptr) => number>('int SSL_CTX_use_certificate(uintptr_t ctx, uintptr_t x)'),
    SSL_CTX_use_PrivateKey: f<(ctx: Ptr, k: Ptr) => number>('int SSL_CTX_use_PrivateKey(uintptr_t ctx, uintptr_t k)'),
    SSL_CTX_check_private_key: f<(ctx: Ptr) => number>('int SSL_CTX_check_private_key(uintptr_t ctx)'),
    SSL_CTX_load_verify_locations: f<(ctx: Ptr, file: string | null, dir: string | null) => number>('int SSL_CTX_load_verify_locations(uintptr_t ctx, const char *file, const char *dir)'),
    SSL_CTX_set_default_verify_paths: f<(ctx: Ptr) => number>('int SSL_CTX_set_default_verify_paths(uintptr_t ctx)'),
    SSL_CTX_set_cipher_list: f<(ctx: Ptr, s: string) => number>('int SSL_CTX_set_cipher_list(uintptr_t ctx, const char *s)'),
    SSL_CTX_set_verify: f<(ctx: Ptr, mode: number, cb: unknown) => void>('void SSL_CTX_set_verify(uintptr_t ctx, int mode, void *cb)'),
    SSL_CTX_set_alpn_select_cb: f<(ctx: Ptr, cb: unknown, arg: Ptr) => void>('void SSL_CTX_set_alpn_select_cb(uintptr_t ctx, void *cb, uintptr_t arg)'),
    SSL_CTX_set_keylog_callback: f<(ctx: Ptr, cb: unknown) => void>('void SSL_CTX_set_keylog_callback(uintptr_t ctx, void *cb)'),
    SSL_CTX_sess_set_new_cb: f<(ctx: Ptr, cb: unknown) => void>('void SSL_CTX_sess_set_new_cb(uintptr_t ctx, void *cb)'),
    SSL_CTX_set_client_CA_list: f<(ctx: Ptr, sk: Ptr) => void>('void SSL_CTX_set_client_CA_list(uintptr_t ctx, uintptr_t sk)'),
    SSL_CTX_set_session_id_context: f<(ctx: Ptr, sid: Mem, len: number) => number>('int SSL_CTX_set_session_id_context(uintptr_t ctx, void *sid, unsigned int len)'),
    SSL_CTX_get_cert_store: f<(ctx: Ptr) => Ptr>('uintptr_t SSL_CTX_get_cert_store(uintptr_t ctx)'),
    SSL_CTX_add_client_CA: f<(ctx: Ptr, x: Ptr) => number>('int SSL_CTX_add_client_CA(uintptr_t ctx, uintptr_t x)'),
    SSL_load_client_CA_file: f<(path: string) => Ptr>('uintptr_t SSL_load_client_CA_file(const char *path)'),
    SSL_CTX_get0_param: f<(ctx: Ptr) => Ptr>('uintptr_t SSL_CTX_get0_param(uintptr_t ctx)'),

    SSL_new: f<(ctx: Ptr) => Ptr>('uintptr_t SSL_new(uintptr_t ctx)'),
    SSL_free: f<(ssl: Ptr) => void>('void SSL_free(uintptr_t ssl)'),
    SSL_set_bio: f<(ssl: Ptr, r: Ptr, w: Ptr) => void>('void SSL_set_bio(uintptr_t ssl, uintptr_t r, uintptr_t w)'),
    /** Replaces the read BIO, freeing the previous one (take a reference first to keep it). */
    SSL_set0_rbio: f<(ssl: Ptr, r: Ptr) => void>('void SSL_set0_rbio(uintptr_t ssl, uintptr_t r)'),
    SSL_set_connect_state: f<(ssl: Ptr) => void>('void SSL_set_connect_state(uintptr_t ssl)'),
    SSL_set_accept_state: f<(ssl: Ptr) => void>('void SSL_set_accept_state(uintptr_t ssl)'),
    SSL_do_handshake: f<(ssl: Ptr) => number>('int SSL_do_handshake(uintptr_t ssl)'),
    SSL_is_init_finished: f<(ssl: Ptr) => number>('int SSL_is_init_finished(uintptr_t ssl)'),
    SSL_read: f<(ssl: Ptr, buf: Mem, len: number) => number>('int SSL_read(uintptr_t ssl, void *buf, int len)'),
    SSL_free_buffers: f<(ssl: Ptr) => number>('int SSL_free_buffers(uintptr_t ssl)'),
    SSL_write: f<(ssl: Ptr, buf: Mem, len: number) => number>('int SSL_write(uintptr_t ssl, void *buf, int len)'),
    SSL_read_at: f<(ssl: Ptr, at: number, len: number) => number>('int SSL_read(uintptr_t ssl, uintptr_t buf, int len)'),
    SSL_write_at: f<(ssl: Ptr, at: number, len: number) => number>('int SSL_write(uintptr_t ssl, uintptr_t buf, int len)'),
    SSL_get_error: f<(ssl: Ptr, ret: number) => number>('int SSL_get_error(uintptr_t ssl, int ret)'),
    SSL_shutdown: f<(ssl: Ptr) => number>('int SSL_shutdown(uintptr_t ssl)'),
    SSL_get_shutdown: f<(ssl: Ptr) => number>('int SSL_get_shutdown(uintptr_t ssl)'),
    SSL_set_shutdown: f<(ssl: Ptr, mode: number) => void>('void SSL_set_shutdown(uintptr_t ssl, int mode)'),
    SSL_ctrl: f<(ssl: Ptr, cmd: number, larg: number, parg: Mem) => number>('long SSL_ctrl(uintptr_t ssl, int cmd, long larg, void *parg)'),
    SSL_set_options: f<(ssl: Ptr, op: number) => number>('uint64_t SSL_set_options(uintptr_t ssl, uint64_t op)'),
    SSL_get_servername: f<(ssl: Ptr, type: number) => string | null>('const char *SSL_get_servername(uintptr_t ssl, int type)'),
    SSL_set_SSL_CTX: f<(ssl: Ptr, ctx: Ptr) => Ptr>('uintptr_t SSL_set_SSL_CTX(uintptr_t ssl, uintptr_t ctx)'),
    SSL_get_SSL_CTX: f<(ssl: Ptr) => Ptr>('uintptr_t SSL_get_SSL_CTX(uintptr_t ssl)'),
    SSL_get0_param: f<(ssl: Ptr) => Ptr>('uintptr_t SSL_get0_param(uintptr_t ssl)'),
    SSL_set_verify: f<(ssl: Ptr, mode: number, cb: unknown) => void>('void SSL_set_verify(uintptr_t ssl, int mode, void *cb)'),
    SSL_get_verify_result: f<(ssl: Ptr) => number>('long SSL_get_verify_result(uintptr_t ssl)'),
    SSL_get1_peer_certificate: f<(ssl: Ptr) => Ptr>('uintptr_t SSL_get1_peer_certificate(uintptr_t ssl)'),
    SSL_get_certificate: f<(ssl: Ptr) => Ptr>('uintptr_t SSL_get_certificate(uintptr_t ssl)'),
    SSL_set_alpn_protos: f<(ssl: Ptr, protos: Mem, len: number) => number>('int SSL_set_alpn_protos(uintptr_t ssl, void *protos, unsigned int len)'),
    SSL_get0_alpn_selected: f<(ssl: Ptr, data: Mem, len: Mem) => void>('void SSL_get0_alpn_selected(uintptr_t ssl, void *data, void *len)'),
    SSL_select_next_proto: f<(out: unknown, outLen: unknown, server: Mem, serverLen: number, client: unknown, clientLen: number) => number>(
      'int SSL_select_next_proto(void *out, void *outLen, void *server, unsigned int serverLen, void *client, unsigned int clientLen)',
    ),
    SSL_version: f<(ssl: Ptr) => number>('int SSL_version(uintptr_t ssl)'),
    SSL_get_version: f<(ssl: Ptr) => string>('const char *SSL_get_version(uintptr_t ssl)'),
    SSL_get_current_cipher: f<(ssl: Ptr) => Ptr>('uintptr_t SSL_get_current_cipher(uintptr_t ssl)'),
    SSL_CIPHER_get_name: f<(c: Ptr) => string | null>('const char *SSL_CIPHER_get_name(uintptr_t c)'),
    SSL_session_reused: f<(ssl: Ptr) => number>('int SSL_session_reused(uintptr_t ssl)'),
    SSL_set_session: f<(ssl: Ptr, s: Ptr) => number>('int SSL_set_session(uintptr_t ssl, uintptr_t s)'),
    SSL_SESSION_dup: f<(s: Ptr) => Ptr>('uintptr_t SSL_SESSION_dup(uintptr_t s)'),
    SSL_SESSION_free: f<(s: Ptr) => void>('void SSL_SESSION_free(uintptr_t s)'),
    SSL_SESSION_is_resumable: f<(s: Ptr) => number>('int SSL_SESSION_is_resumable(uintptr_t s)'),
    SSL_SESSION_get_time: f<(s: Ptr) => number>('long SSL_SESSION_get_time(uintptr_t s)'),
    SSL_SESSION_get_timeout: f<(s: Ptr) => number>('long SSL_SESSION_get_timeout(uintptr_t s)'),
    SSL_export_keying_material: f<(ssl: Ptr, out: Mem, olen: number, label: Mem, llen: number, ctx: Mem, clen: number, use: number) => number>(
      'int SSL_export_keying_material(uintptr_t ssl, void *out, size_t olen, void *label, size_t llen, void *ctx, size_t clen, int use)',
    ),
    SSL_get_finished: f<(ssl: Ptr, buf: Mem, count: number) => number>('size_t SSL_get_finished(uintptr_t ssl, void *buf, size_t count)'),
    SSL_get_peer_finished: f<(ssl: Ptr, buf: Mem, count: number) => number>('size_t SSL_get_peer_finished(uintptr_t ssl, void *buf, size_t count)'),
    SSL_set_post_handshake_auth: f<(ssl: Ptr, on: number) => void>('void SSL_set_post_handshake_auth(uintptr_t ssl, int on)'),
    SSL_verify_client_post_handshake: f<(ssl: Ptr) => number>('int SSL_verify_client_post_handshake(uintptr_t ssl)'),
    SSL_renegotiate: f<(ssl: Ptr) => number>('int SSL_renegotiate(uintptr_t ssl)'),
    SSL_renegotiate_pending: f<(ssl: Ptr) => number>('int SSL_renegotiate_pending(uintptr_t ssl)'),
    SSL_set_info_callback: f<(ssl: Ptr, cb: unknown) => void>('void SSL_set_info_callback(uintptr_t ssl, void *cb)'),
    SSL_state_string_long: f<(ssl: Ptr) => string>('const char *SSL_state_string_long(uintptr_t ssl)'),
    SSL_alert_type_string_long: f<(value: number) => string>('const char *SSL_alert_type_string_long(int value)'),
    SSL_alert_desc_string_long: f<(value: number) => string>('const char *SSL_alert_desc_string_long(int value)'),
    SSL_set_msg_callback: f<(ssl: Ptr, cb: unknown) => void>('void SSL_set_msg_callback(uintptr_t ssl, void *cb)'),
    SSL_get_ex_data_X509_STORE_CTX_idx: f<() => number>('int SSL_get_ex_data_X509_STORE_CTX_idx()'),
    SSL_client_hello_get0_ext: f<(ssl: Ptr, type: number, out: Mem, outlen: Mem) => number>('int SSL_client_hello_get0_ext(uintptr_t ssl, unsigned int type, void *out, void *outlen)'),
  };
}

/** The libcrypto functions, or `null` when OpenSSL could not be loaded. */
export const crypto = cryptoLib ? declare(cryptoLib) : null;
/** The libssl functions, or `null` when OpenSSL could not be loaded. */
export const ssl = sslLib ? declareSsl(sslLib) : null;

export type CryptoFunctions = NonNullable<typeof crypto>;
export type SslFunctions = NonNullable<typeof ssl>;
