package tencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// signInput is what a TC3-HMAC-SHA256 signature covers.
type signInput struct {
	SecretID, SecretKey string
	// Service is the product, "ciam" for this package.
	Service string
	// Host and ContentType are the two signed headers, as sent.
	Host, ContentType string
	// Method is the HTTP method (POST).
	Method string
	// Path and Query are the canonical URI ("/") and query string ("" for POST).
	Path, Query string
	// Payload is the exact body bytes sent.
	Payload []byte
	// Timestamp is the request time, also sent as X-TC-Timestamp.
	Timestamp int64
}

const algorithm = "TC3-HMAC-SHA256"

// canonicalRequest returns the canonical request string of TC3-HMAC-SHA256 for in.
func canonicalRequest(in signInput) string {
	path := in.Path
	if path == "" {
		path = "/"
	}
	return strings.Join([]string{
		strings.ToUpper(in.Method),
		path,
		in.Query,
		"content-type:" + strings.TrimSpace(in.ContentType) + "\n" + "host:" + strings.ToLower(strings.TrimSpace(in.Host)) + "\n",
		"content-type;host",
		sha256Hex(in.Payload),
	}, "\n")
}

// signature returns the hex signature, the credential scope and the string to sign for in.
func signature(in signInput) (signature, scope, stringToSign string) {
	date := time.Unix(in.Timestamp, 0).UTC().Format("2006-01-02")
	scope = date + "/" + in.Service + "/tc3_request"
	stringToSign = algorithm + "\n" + strconv.FormatInt(in.Timestamp, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonicalRequest(in)))
	key := hmacSHA256([]byte("TC3"+in.SecretKey), date)
	key = hmacSHA256(key, in.Service)
	key = hmacSHA256(key, "tc3_request")
	return hex.EncodeToString(hmacSHA256(key, stringToSign)), scope, stringToSign
}

// authorization returns the Authorization header value for in.
func authorization(in signInput) string {
	sig, scope, _ := signature(in)
	return algorithm + " Credential=" + in.SecretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + sig
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
