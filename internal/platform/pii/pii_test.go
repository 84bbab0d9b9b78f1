package pii

import "testing"

func TestRoundTripHashAndMask(t *testing.T) {
	b, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	id := "11010519491231002X"
	ct, err := b.Encrypt(id)
	if err != nil {
		t.Fatal(err)
	}
	if ct == id || len(ct) < 20 {
		t.Fatalf("not encrypted: %q", ct)
	}
	ct2, _ := b.Encrypt(id)
	if ct == ct2 {
		t.Fatal("same ciphertext twice: nonce reuse")
	}
	pt, err := b.Decrypt(ct)
	if err != nil || pt != id {
		t.Fatalf("decrypt = %q, %v", pt, err)
	}
	if b.Hash(id) != b.Hash(id) || b.Hash(id) == b.Hash("11010519491231003X") {
		t.Fatal("hash not deterministic or collides")
	}
	other, _ := New(NewKey())
	if _, err := other.Decrypt(ct); err == nil {
		t.Fatal("wrong key decrypted")
	}
	if other.Hash(id) == b.Hash(id) || other.Fingerprint() == b.Fingerprint() {
		t.Fatal("hash or fingerprint independent of key")
	}
	if got := MaskID(id); got != "110105********002X" {
		t.Fatalf("MaskID = %q", got)
	}
	if got := MaskPhone("13800138000"); got != "138****8000" {
		t.Fatalf("MaskPhone = %q", got)
	}
	if got := MaskName("张三丰"); got != "张**" {
		t.Fatalf("MaskName = %q", got)
	}
}
