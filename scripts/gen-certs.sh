#!/usr/bin/env bash
# Generates the test PKI in certs/ with the openssl CLI (written for OpenSSL 3.0.x).
#
#   bash scripts/gen-certs.sh        # from any directory
#
# certs/ is wiped and rebuilt: same file names and properties every time, new keys and bytes.
# The result is committed, so tests never need to run this. Everything is built in a temporary
# directory first; certs/ is only replaced once every step has succeeded.
#
# Good certificates are valid for 100 years (36500 days). The bad-* ones are bad on purpose; each is
# explained where it is made, below, and in certs/README.md (which this script also writes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/certs"
DAYS=36500
[ -f "$ROOT/scripts/gen-certs.sh" ] || { echo "gen-certs: cannot locate the repository root" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TMP="$WORK/tmp"       # CSRs, extension configs, the `openssl ca` database
BUILD="$WORK/certs"   # becomes certs/
mkdir -p "$TMP" "$BUILD"
cd "$BUILD"

# Subjects and subjectAltNames used more than once.
O="/C=US/O=openssl-ports tests"
LOCAL_SAN="DNS:localhost,IP:127.0.0.1,IP:::1"
LOCAL_SAN_V4="DNS:localhost,IP:127.0.0.1"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

# quiet CMD... — runs CMD, showing its stderr only if it fails (openssl chatters on success).
quiet() {
  if ! "$@" 2>"$TMP/stderr"; then
    cat "$TMP/stderr" >&2
    echo "gen-certs: failed: $*" >&2
    return 1
  fi
}

# new_key NAME rsa:BITS|ec — an unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY") in NAME.key.
new_key() {
  case "$2" in
    rsa:*) quiet openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1.key" ;;
    ec)    quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
    *)     echo "gen-certs: unknown key type $2" >&2; return 1 ;;
  esac
}

# write_conf NAME EXTENSION-LINE... — writes $TMP/NAME.cnf with the lines in section [ext] and
# prints its path. The same file serves `req -config`, `x509 -extfile` and `ca -extfile`, so no
# step depends on the system openssl.cnf.
write_conf() {
  local conf="$TMP/$1.cnf"
  shift
  {
    printf '[req]\ndistinguished_name = dn\n[dn]\n[ext]\n'
    printf '%s\n' "$@"
  } > "$conf"
  echo "$conf"
}

# ca_conf NAME [PATHLEN] — extensions of a CA certificate (a root without PATHLEN).
ca_conf() {
  local basic="critical,CA:TRUE"
  [ -z "${2:-}" ] || basic="$basic,pathlen:$2"
  write_conf "$1" \
    "basicConstraints = $basic" \
    "keyUsage = critical,keyCertSign,cRLSign" \
    "subjectKeyIdentifier = hash" \
    "authorityKeyIdentifier = keyid:always"
}

# leaf_conf NAME KEYTYPE EKU SAN — extensions of an end-entity certificate (CA:FALSE).
leaf_conf() {
  local usage="critical,digitalSignature"
  case "$2" in rsa:*) usage="$usage,keyEncipherment" ;; esac
  write_conf "$1" \
    "basicConstraints = critical,CA:FALSE" \
    "keyUsage = $usage" \
    "extendedKeyUsage = $3" \
    "subjectAltName = $4" \
    "subjectKeyIdentifier = hash" \
    "authorityKeyIdentifier = keyid:always"
}

# self_sign NAME SUBJECT CONF — NAME.pem: a self-signed certificate for NAME.key (SHA-256).
self_sign() {
  quiet openssl req -x509 -new -config "$3" -extensions ext -key "$1.key" -subj "$2" \
    -sha256 -days "$DAYS" -set_serial "0x$(openssl rand -hex 16)" -out "$1.pem"
}

# sign_by NAME ISSUER SUBJECT CONF [DIGEST] [STARTDATE ENDDATE] — NAME.pem: NAME.key's certificate
# issued by ISSUER (ISSUER.pem + ISSUER.key), with the extensions of CONF.
#
# Without dates it uses `openssl x509 -req` (valid from now for $DAYS days). OpenSSL 3.0's `x509`
# has no -not_before/-not_after, so explicit dates go through `openssl ca` with a throwaway
# database and a policy that keeps the request's subject exactly as it is.
sign_by() {
  local name=$1 issuer=$2 subj=$3 conf=$4 digest=${5:-sha256} start=${6:-} end=${7:-}
  quiet openssl req -new -config "$conf" -key "$name.key" -subj "$subj" -out "$TMP/$name.csr"
  if [ -z "$start" ]; then
    quiet openssl x509 -req -in "$TMP/$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
      -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" "-$digest" \
      -extfile "$conf" -extensions ext -out "$name.pem"
  else
    local db="$TMP/ca-$name"
    mkdir -p "$db"
    : > "$db/index.txt"
    openssl rand -hex 16 > "$db/serial"
    cat > "$db/ca.cnf" <<EOF
[ca]
default_ca = this_ca
[this_ca]
database        = $db/index.txt
new_certs_dir   = $db
serial          = $db/serial
default_md      = $digest
policy          = policy_anything
unique_subject  = no
copy_extensions = none
preserve        = yes
[policy_anything]
countryName            = optional
stateOrProvinceName    = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
emailAddress           = optional
EOF
    quiet openssl ca -batch -notext -config "$db/ca.cnf" -cert "$issuer.pem" -keyfile "$issuer.key" \
      -startdate "$start" -enddate "$end" -extfile "$conf" -extensions ext \
      -in "$TMP/$name.csr" -out "$name.pem"
  fi
}

# write_chain NAME ISSUER — NAME-chain.pem: the leaf followed by its issuer (what a server sends).
write_chain() {
  cat "$1.pem" "$2.pem" > "$1-chain.pem"
}

# make_root_ca NAME SUBJECT — a self-signed root CA, RSA-3072, SHA-256.
make_root_ca() {
  new_key "$1" rsa:3072
  self_sign "$1" "$2" "$(ca_conf "$1")"
}

# make_intermediate_ca NAME ISSUER SUBJECT — an RSA-2048 CA, pathlen:0, signed by ISSUER.
make_intermediate_ca() {
  new_key "$1" rsa:2048
  sign_by "$1" "$2" "$3" "$(ca_conf "$1" 0)"
}

# issue_leaf NAME ISSUER KEYTYPE SUBJECT SAN [EKU] [DIGEST] [STARTDATE ENDDATE]
# — NAME.key, NAME.pem and NAME-chain.pem: an end-entity certificate issued by ISSUER.
issue_leaf() {
  local name=$1 issuer=$2 keytype=$3 subj=$4 san=$5 eku=${6:-serverAuth} digest=${7:-sha256}
  new_key "$name" "$keytype"
  sign_by "$name" "$issuer" "$subj" "$(leaf_conf "$name" "$keytype" "$eku" "$san")" \
    "$digest" "${8:-}" "${9:-}"
  write_chain "$name" "$issuer"
}

# make_ca_dir DIR CERT... — a directory of CA certificates named by OpenSSL's <subject-hash>.<n>, as
# regular files (copies), not links: npm pack drops symbolic links, and a shipped directory must work.
make_ca_dir() {
  local dir=$1 f h n
  shift
  mkdir "$dir"
  cp "$@" "$dir/"
  for f in "$@"; do
    f=$(basename "$f")
    h=$(openssl x509 -hash -noout -in "$dir/$f")
    n=0
    while [ -e "$dir/$h.$n" ]; do n=$((n + 1)); done
    cp "$dir/$f" "$dir/$h.$n"
  done
}

# ---------------------------------------------------------------------------------------------
# The trusted hierarchy: root CA -> intermediate CA -> leaves
# ---------------------------------------------------------------------------------------------

make_root_ca root-ca "/C=US/ST=Racketa/O=openssl-ports tests/CN=openssl-ports Test Root CA"
make_intermediate_ca intermediate-ca root-ca "$O/CN=openssl-ports Test Intermediate CA"
cat root-ca.pem intermediate-ca.pem > ca-bundle.pem
make_ca_dir ca-dir root-ca.pem intermediate-ca.pem

# ---------------------------------------------------------------------------------------------
# Good leaves, all issued by the intermediate
# ---------------------------------------------------------------------------------------------

issue_leaf server-rsa          intermediate-ca rsa:2048 "$O/CN=localhost" "$LOCAL_SAN"
issue_leaf server-ecdsa        intermediate-ca ec       "$O/CN=localhost" "$LOCAL_SAN"
# Signed with SHA-384: tls-server-end-point channel bindings hash with the signature's digest.
issue_leaf server-ecdsa-sha384 intermediate-ca ec       "$O/CN=localhost" "$LOCAL_SAN" serverAuth sha384
# A second server name, for SNI.
issue_leaf sni-example         intermediate-ca rsa:2048 "$O/CN=example.test" "DNS:example.test,DNS:*.example.test"
issue_leaf client              intermediate-ca rsa:2048 \
  "/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com" \
  "DNS:client.example.com,email:client@example.com" clientAuth

# test.pem, like Racket's: a self-signed certificate followed by its private key in one file. It is
# CA:TRUE so the same file is both an identity and the trust root that accepts it.
new_key test rsa:2048
self_sign test "$O/CN=localhost" "$(write_conf test \
  "basicConstraints = critical,CA:TRUE" \
  "keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign" \
  "extendedKeyUsage = serverAuth,clientAuth" \
  "subjectAltName = $LOCAL_SAN" \
  "subjectKeyIdentifier = hash")"
cat test.pem test.key > "$TMP/test.pem"
mv "$TMP/test.pem" test.pem
rm test.key

# ---------------------------------------------------------------------------------------------
# Deliberately bad certificates. Each must be refused by a verifying client trusting root-ca.pem.
# ---------------------------------------------------------------------------------------------

# bad-expired: correctly issued, but valid only from 2020-01-01 to 2021-01-01.
# -> "certificate has expired"
issue_leaf bad-expired intermediate-ca rsa:2048 "$O/CN=localhost" "$LOCAL_SAN_V4" serverAuth sha256 \
  20200101000000Z 20210101000000Z

# bad-not-yet-valid: correctly issued, but valid only from 2100-01-01 to 2125-01-01.
# -> "certificate is not yet valid"
issue_leaf bad-not-yet-valid intermediate-ca rsa:2048 "$O/CN=localhost" "$LOCAL_SAN_V4" serverAuth sha256 \
  21000101000000Z 21250101000000Z

# bad-wrong-host: a valid chain, but for wrong.example only: connecting to localhost must fail the
# hostname check. -> "hostname mismatch"
issue_leaf bad-wrong-host intermediate-ca rsa:2048 "$O/CN=wrong.example" "DNS:wrong.example"

# bad-self-signed: a self-signed leaf (CA:FALSE) for localhost, chained to nothing.
# -> "self-signed certificate"
new_key bad-self-signed rsa:2048
self_sign bad-self-signed "$O/CN=localhost" "$(write_conf bad-self-signed \
  "basicConstraints = critical,CA:FALSE" \
  "keyUsage = critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage = serverAuth" \
  "subjectAltName = $LOCAL_SAN_V4" \
  "subjectKeyIdentifier = hash")"

# bad-untrusted: a leaf for localhost issued by untrusted-ca, a second root nobody trusts.
# bad-untrusted-chain.pem is deliberately the leaf alone (the untrusted root is never sent), so the
# client's error is -> "unable to get local issuer certificate"
make_root_ca untrusted-ca "/C=US/O=Nobody/CN=Untrusted Root CA"
new_key bad-untrusted rsa:2048
sign_by bad-untrusted untrusted-ca "$O/CN=localhost" \
  "$(leaf_conf bad-untrusted rsa:2048 serverAuth "$LOCAL_SAN_V4")"
cp bad-untrusted.pem bad-untrusted-chain.pem

# bad-rsa1024: a correctly issued leaf whose key is RSA-1024, below security level 2 (112 bits).
# -> at level >= 2: "EE certificate key too weak" (or "ee key too small" when loading it)
issue_leaf bad-rsa1024 intermediate-ca rsa:1024 "$O/CN=localhost" "$LOCAL_SAN_V4"

# bad-sha1: a correctly issued RSA-2048 leaf, signed with SHA-1 (sha1WithRSAEncryption), which
# OpenSSL 3 refuses at security level >= 1. -> "CA signature digest algorithm too weak"
# (or "ca md too weak" when a server loads it)
issue_leaf bad-sha1 intermediate-ca rsa:2048 "$O/CN=localhost" "$LOCAL_SAN_V4" serverAuth sha1

# bad-missing-intermediate: the good server-rsa leaf served WITHOUT the intermediate; a client
# trusting only the root cannot build the chain. -> "unable to get local issuer certificate"
cp server-rsa.pem bad-missing-intermediate.pem
cp server-rsa.key bad-missing-intermediate.key

# ---------------------------------------------------------------------------------------------
# certs/README.md
# ---------------------------------------------------------------------------------------------

cat > README.md <<'EOF'
# The test PKI

Generated by `bash scripts/gen-certs.sh` (the `openssl` CLI, OpenSSL 3.0) and committed so that the
tests, examples and demo run without generating anything. Rerun the script to regenerate: it wipes
this directory and rebuilds the same files with new keys. **Every key here is public: none of it
gives any security.**

Keys (`*.key`) are unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`). Good certificates are SHA-256 and
valid for 100 years from generation. "Intermediate" below means `intermediate-ca`. Chain files
(`*-chain.pem`) are the leaf followed by the intermediate, i.e. what a server sends.

## Trust anchors

| file | what it is |
|---|---|
| `root-ca.pem` / `.key` | root CA, RSA-3072, `/C=US/ST=Racketa/O=openssl-ports tests/CN=openssl-ports Test Root CA`; trust this one |
| `intermediate-ca.pem` / `.key` | intermediate CA (CA:TRUE, pathlen:0) signed by the root; issues every good leaf |
| `ca-bundle.pem` | root + intermediate in one file |
| `ca-dir/` | root and intermediate, also as regular files named `<subject-hash>.0` (what `openssl rehash` links; copies survive `npm pack`), for `['directory', dir]` sources |
| `test.pem` | self-signed RSA-2048 certificate for `localhost`, `127.0.0.1`, `::1` followed by its key in one file (as Racket's `test.pem`); CA:TRUE, serverAuth + clientAuth, so it can be its own trust root |

## Good leaves (issued by the intermediate)

| file | what it is |
|---|---|
| `server-rsa.pem` / `.key` / `-chain.pem` | RSA-2048 server certificate: `CN=localhost`, SAN `localhost`, `127.0.0.1`, `::1` |
| `server-ecdsa.pem` / `.key` / `-chain.pem` | the same with an ECDSA P-256 key |
| `server-ecdsa-sha384.pem` / `.key` / `-chain.pem` | ECDSA P-256 leaf signed with SHA-384 (tls-server-end-point then hashes with SHA-384) |
| `sni-example.pem` / `.key` / `-chain.pem` | second server name, RSA-2048: `example.test`, `*.example.test` |
| `client.pem` / `.key` / `-chain.pem` | client certificate (clientAuth), RSA-2048, `/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com`, SAN `client.example.com`, `client@example.com` |

## Deliberately bad certificates

A client that trusts `root-ca.pem` must refuse each of these (for `localhost` / `127.0.0.1`).

| file | what is wrong | OpenSSL's reason |
|---|---|---|
| `bad-expired.pem` / `.key` / `-chain.pem` | valid only from 2020-01-01 to 2021-01-01 | certificate has expired |
| `bad-not-yet-valid.pem` / `.key` / `-chain.pem` | valid only from 2100-01-01 to 2125-01-01 | certificate is not yet valid |
| `bad-wrong-host.pem` / `.key` / `-chain.pem` | valid, but for `wrong.example` only | hostname mismatch |
| `bad-self-signed.pem` / `.key` | self-signed leaf (CA:FALSE), chained to nothing | self-signed certificate |
| `untrusted-ca.pem` / `.key` | a second root CA, `/C=US/O=Nobody/CN=Untrusted Root CA`, that nobody trusts | |
| `bad-untrusted.pem` / `.key` / `-chain.pem` | leaf issued by `untrusted-ca`; the chain file is the leaf alone | unable to get local issuer certificate |
| `bad-rsa1024.pem` / `.key` / `-chain.pem` | RSA-1024 key, below security level 2 | EE certificate key too weak (at level ≥ 2); loading it: ee key too small |
| `bad-sha1.pem` / `.key` / `-chain.pem` | signed with SHA-1 | CA signature digest algorithm too weak (at level ≥ 1); loading it: ca md too weak |
| `bad-missing-intermediate.pem` / `.key` | a copy of the `server-rsa` leaf and key, served without the intermediate | unable to get local issuer certificate |

## Checking by hand

```sh
openssl verify -CAfile certs/root-ca.pem -untrusted certs/intermediate-ca.pem certs/server-rsa.pem
openssl verify -CApath certs/ca-dir certs/client.pem
openssl verify -CAfile certs/test.pem certs/test.pem
```

`openssl verify` checks neither hostnames nor security levels unless asked: add
`-verify_hostname localhost` for `bad-wrong-host`, `-auth_level 2` for `bad-rsa1024` and
`-auth_level 1` for `bad-sha1`. TLS contexts do both by default.
EOF

# ---------------------------------------------------------------------------------------------
# Replace certs/ with the new build
# ---------------------------------------------------------------------------------------------

rm -rf "$OUT"
cp -a "$BUILD" "$OUT"
echo "gen-certs: test PKI written to $OUT ($(find "$OUT" -type f | wc -l) files, $(find "$OUT" -type l | wc -l) links)"
