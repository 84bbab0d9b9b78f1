package web

import (
	"encoding/json"
	"testing"
)

// A room's empty result must encode as [] (clients iterate it), and pages keep their numbers.
func TestListOf(t *testing.T) {
	b, _ := json.Marshal(ListOf[int](nil, 0, PageReq{Page: 1, PerPage: 50}))
	if string(b) != `{"items":[],"total":0,"page":1,"per_page":50}` {
		t.Errorf("empty list: %s", b)
	}
	a, c := 1, 2
	l := ListOf([]*int{&a, &c}, 7, PageReq{Page: 2, PerPage: 2})
	if len(l.Items) != 2 || l.Items[1] != 2 || l.Total != 7 || l.Page != 2 {
		t.Errorf("list: %+v", l)
	}
}
