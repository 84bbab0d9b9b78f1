// Package pii protects personal data at rest: AES-256-GCM encryption with a key from configuration, a keyed
// hash (HMAC-SHA256 with a derived key) for lookups and duplicate checks, and masking for display.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// Box encrypts, decrypts and hashes personal data with one master key.
type Box struct {
	aead    cipher.AEAD
	hashKey []byte
	fp      string
}

// New makes a Box from a 32-byte master key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("pii key must be %d bytes, got %d", KeySize, len(key))
	}
	encKey := derive(key, "nongfu/pii/enc")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii gcm: %w", err)
	}
	return &Box{aead: aead, hashKey: derive(key, "nongfu/pii/hash"), fp: hex.EncodeToString(derive(key, "nongfu/pii/fingerprint"))[:16]}, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Fingerprint identifies the key without revealing it; stored in the database to detect a wrong or missing key.
func (b *Box) Fingerprint() string { return b.fp }

// Encrypt seals plaintext; "" stays "" so optional fields stay empty.
func (b *Box) Encrypt(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii nonce: %w", err)
	}
	ct := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return "v1:" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Decrypt opens a value made by Encrypt.
func (b *Box) Decrypt(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("pii: unknown ciphertext version")
	}
	ct, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil {
		return "", fmt.Errorf("pii decode: %w", err)
	}
	ns := b.aead.NonceSize()
	if len(ct) < ns {
		return "", errors.New("pii: ciphertext too short")
	}
	pt, err := b.aead.Open(nil, ct[:ns], ct[ns:], nil)
	if err != nil {
		return "", fmt.Errorf("pii open (wrong key?): %w", err)
	}
	return string(pt), nil
}

// Hash is the keyed lookup hash of a normalised value ("" for ""): HMAC-SHA256 truncated to 128 bits, base64url.
// 128 bits keep collisions out of reach for any register while keeping the unique indexes small.
func (b *Box) Hash(normalised string) string {
	if normalised == "" {
		return ""
	}
	m := hmac.New(sha256.New, b.hashKey)
	m.Write([]byte(normalised))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// NewKey makes a random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}

// EncodeKey and DecodeKey convert keys to and from the base64 text used in config and key files.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// DecodeKey parses a base64 key.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("pii key is not base64: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("pii key must decode to %d bytes, got %d", KeySize, len(k))
	}
	return k, nil
}

// LoadOrCreateKeyFile reads a key file, creating it with a fresh key (mode 0600) when create is true and it is missing.
func LoadOrCreateKeyFile(path string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return DecodeKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k := NewKey()
	if err := os.WriteFile(path, []byte(EncodeKey(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return k, nil
}

// MaskID shows the first 6 and last 4 characters of an ID number: 500237********1234.
func MaskID(s string) string { return maskMiddle(s, 6, 4) }

// MaskPhone shows 138****8000.
func MaskPhone(s string) string { return maskMiddle(s, 3, 4) }

// MaskAccount shows the last 4 digits of a bank account.
func MaskAccount(s string) string { return maskMiddle(s, 0, 4) }

// MaskName shows the family name only: 张**.
func MaskName(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return s
	}
	r := []rune(s)
	return string(r[0]) + strings.Repeat("*", n-1)
}

func maskMiddle(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		if len(r) <= 2 {
			return strings.Repeat("*", len(r))
		}
		return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
