#!/usr/bin/env bash
# Generates the test PKI in certs/ with the openssl CLI (OpenSSL 3.x). The output is committed;
# run again only to regenerate it: `bash scripts/gen-certs.sh`. Good certificates are valid for
# 100 years; the bad ones are bad on purpose (see certs/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/certs"
DAYS=36500
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

# new_key NAME [rsa:BITS|ec] — an unencrypted PKCS#8 key in NAME.key
new_key() {
  case "${2:-rsa:2048}" in
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1.key" 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null ;;
  esac
}

# make_root NAME SUBJECT — a self-signed CA
make_root() {
  new_key "$1" rsa:3072
  openssl req -x509 -new -key "$1.key" -sha256 -days "$DAYS" -subj "$2" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
}

# sign NAME CA SUBJECT EXTFILE [DIGEST] [STARTDATE ENDDATE] — a certificate for NAME.key signed by CA
sign() {
  local name=$1 ca=$2 subj=$3 ext=$4 digest=${5:-sha256} start=${6:-} end=${7:-}
  openssl req -new -key "$name.key" -subj "$subj" -out "$TMP/$name.csr"
  if [ -n "$start" ]; then
    # Explicit validity dates need `openssl ca` on OpenSSL 3.0.
    mkdir -p "$TMP/ca-$name"
    : > "$TMP/ca-$name/index.txt"
    cat > "$TMP/ca-$name/ca.cnf" <<EOF
[ca]
default_ca = this
[this]
database = $TMP/ca-$name/index.txt
new_certs_dir = $TMP/ca-$name
serial = $TMP/ca-$name/serial
policy = anything
unique_subject = no
copy_extensions = none
default_md = $digest
[anything]
commonName = supplied
EOF
    openssl rand -hex 16 > "$TMP/ca-$name/serial"
    openssl ca -batch -notext -config "$TMP/ca-$name/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
      -startdate "$start" -enddate "$end" -extfile "$ext" -in "$TMP/$name.csr" -out "$name.pem" 2>/dev/null
  else
    openssl x509 -req -in "$TMP/$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days "$DAYS" "-$digest" -extfile "$ext" -out "$name.pem" 2>/dev/null
  fi
}

# ext FILE SAN [EKU] [CA] — an extensions file
ext() {
  {
    if [ "${4:-}" = ca ]; then
      echo "basicConstraints=critical,CA:TRUE,pathlen:0"
      echo "keyUsage=critical,keyCertSign,cRLSign"
    else
      echo "basicConstraints=critical,CA:FALSE"
      echo "keyUsage=critical,digitalSignature,keyEncipherment"
      echo "extendedKeyUsage=${3:-serverAuth}"
    fi
    [ -n "$2" ] && echo "subjectAltName=$2"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
  } > "$TMP/$1.ext"
  echo "$TMP/$1.ext"
}

# leaf NAME KEYTYPE SUBJECT SAN [EKU] [DIGEST] [START END] — a leaf signed by the intermediate, with a chain file
leaf() {
  local name=$1 keytype=$2 subj=$3 san=$4 eku=${5:-serverAuth} digest=${6:-sha256}
  new_key "$name" "$keytype"
  sign "$name" intermediate-ca "$subj" "$(ext "$name" "$san" "$eku")" "$digest" "${7:-}" "${8:-}"
  cat "$name.pem" intermediate-ca.pem > "$name-chain.pem"
}

LOCAL="DNS:localhost,IP:127.0.0.1,IP:::1"
O="/C=US/O=openssl-ports tests"

# --- the trusted hierarchy ---
make_root root-ca "$O/CN=openssl-ports Test Root CA"
new_key intermediate-ca rsa:2048
sign intermediate-ca root-ca "$O/CN=openssl-ports Test Intermediate CA" "$(ext intermediate-ca "" "" ca)"
cat root-ca.pem intermediate-ca.pem > ca-bundle.pem
mkdir ca-dir
cp root-ca.pem intermediate-ca.pem ca-dir/
openssl rehash ca-dir

# --- good leaves ---
leaf server-rsa rsa:2048 "$O/CN=localhost" "$LOCAL"
leaf server-ecdsa ec "$O/CN=localhost" "$LOCAL"
leaf server-ecdsa-sha384 ec "$O/CN=localhost" "$LOCAL" serverAuth sha384
leaf sni-example rsa:2048 "$O/CN=example.test" "DNS:example.test,DNS:*.example.test"
leaf client rsa:2048 "/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com" \
  "DNS:client.example.com,email:client@example.com" clientAuth

# --- test.pem: a self-signed identity and its key in one file, usable as its own trust root ---
new_key test rsa:2048
openssl req -x509 -new -key test.key -sha256 -days "$DAYS" -subj "$O/CN=localhost" -out test-cert.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "subjectAltName=$LOCAL" \
  -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" -addext "extendedKeyUsage=serverAuth,clientAuth"
cat test-cert.pem test.key > test.pem
rm test-cert.pem test.key

# --- deliberately bad certificates ---
# expired: valid only in 2020
leaf bad-expired rsa:2048 "$O/CN=localhost" "$LOCAL" serverAuth sha256 20200101000000Z 20210101000000Z
# not yet valid: from 2100 on
leaf bad-not-yet-valid rsa:2048 "$O/CN=localhost" "$LOCAL" serverAuth sha256 21000101000000Z 21250101000000Z
# wrong host: valid, for another name
leaf bad-wrong-host rsa:2048 "$O/CN=wrong.example" "DNS:wrong.example"
# self-signed leaf, chained to nothing
new_key bad-self-signed rsa:2048
openssl req -x509 -new -key bad-self-signed.key -sha256 -days "$DAYS" -subj "$O/CN=localhost" -out bad-self-signed.pem \
  -addext "basicConstraints=critical,CA:FALSE" -addext "subjectAltName=$LOCAL" -addext "extendedKeyUsage=serverAuth"
# signed by a CA nobody trusts
make_root untrusted-ca "/C=US/O=Nobody/CN=Untrusted Root CA"
new_key bad-untrusted rsa:2048
sign bad-untrusted untrusted-ca "$O/CN=localhost" "$(ext bad-untrusted "$LOCAL")"
cp bad-untrusted.pem bad-untrusted-chain.pem
# RSA-1024: below security level 2
leaf bad-rsa1024 rsa:1024 "$O/CN=localhost" "$LOCAL"
# SHA-1 signature
leaf bad-sha1 rsa:2048 "$O/CN=localhost" "$LOCAL" serverAuth sha1
# missing intermediate: the good leaf served alone
cp server-rsa.pem bad-missing-intermediate.pem
cp server-rsa.key bad-missing-intermediate.key

rm -f ./*.srl
echo "test PKI written to $OUT"
