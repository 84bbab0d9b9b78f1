package web

import (
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
)

// Rooms number their menu items independently; colliding numbers must not split a group in the side menu.
func TestMenuKeepsGroupsTogether(t *testing.T) {
	s := &Server{}
	s.AddMenu(MenuItem{Group: "服务", Label: "s1", Order: 50}, MenuItem{Group: "服务", Label: "s2", Order: 55})
	s.AddMenu(MenuItem{Group: "流通", Label: "f1", Order: 50}, MenuItem{Group: "流通", Label: "f2", Order: 51})
	s.AddMenu(MenuItem{Group: "名录", Label: "r1", Order: 10}, MenuItem{Group: "服务", Label: "s0", Order: 49},
		MenuItem{Group: "系统", Label: "x", Order: 100, Roles: []auth.Role{auth.Sysadmin}})
	var got []string
	for _, m := range s.Menu(&auth.Principal{Role: auth.CountyAdmin}) {
		got = append(got, m.Label)
	}
	if want := "r1 s0 s1 s2 f1 f2"; strings.Join(got, " ") != want {
		t.Errorf("menu order %q, want %q", strings.Join(got, " "), want)
	}
}
