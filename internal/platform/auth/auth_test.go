package auth

import (
	"testing"
	"time"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("nongfu-Secret1")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("nongfu-Secret1")
	if h == h2 {
		t.Fatal("same hash twice: salt missing")
	}
	if !CheckPassword(h, "nongfu-Secret1") || CheckPassword(h, "nongfu-Secret2") || CheckPassword("garbage", "x") {
		t.Fatal("password check wrong")
	}
	for pw, ok := range map[string]bool{"short1": false, "onlyletters": false, "12345678": false, "abc12345": true} {
		if (CheckPasswordPolicy(pw) == "") != ok {
			t.Errorf("policy(%q)", pw)
		}
	}
}

func TestThrottle(t *testing.T) {
	th := NewThrottle(3, time.Minute)
	now := time.Now()
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if th.Blocked("u", "1.2.3.4") > 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		th.Fail("u", "1.2.3.4")
	}
	if th.Blocked("u", "1.2.3.4") == 0 {
		t.Fatal("not blocked after 3 failures")
	}
	if th.Blocked("other", "5.6.7.8") > 0 {
		t.Fatal("other user blocked")
	}
	now = now.Add(2 * time.Minute)
	if th.Blocked("u", "1.2.3.4") > 0 {
		t.Fatal("still blocked after the window")
	}
	// one address may fail more often than one user name (a township office behind NAT)
	for i := 0; i < 5; i++ {
		th.Fail(string(rune('a'+i)), "9.9.9.9")
	}
	if th.Blocked("z", "9.9.9.9") > 0 {
		t.Fatal("address blocked too early")
	}
}

func TestRegionScope(t *testing.T) {
	p := &Principal{Role: TownshipOperator, Scopes: []string{"500237107000", "500237108000"}}
	for code, want := range map[string]bool{"500237107201": true, "500237108000": true, "500237109201": false, "500238107201": false} {
		if p.InRegion(code) != want {
			t.Errorf("InRegion(%s) = %v", code, !want)
		}
	}
	for code, want := range map[string]string{"500000000000": "50", "500200000000": "5002", "500237000000": "500237", "500237107000": "500237107", "500237107201": "500237107201"} {
		if got := RegionPrefix(code); got != want {
			t.Errorf("RegionPrefix(%s) = %s", code, got)
		}
	}
}
