package app_test

import (
	"bytes"
	"context"
	"testing"

	"nongfu/internal/app"
	"nongfu/internal/federation"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
)

func TestMembershipImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 80)
		ctx := context.Background()
		admin := &auth.Principal{UserID: 1, Username: "admin", Role: auth.CountyAdmin, Scopes: []string{"500237000000"}}
		feds, _, err := s.Federation.ListFederations(ctx, admin, federation.FedFilter{Level: "industry"})
		if err != nil || len(feds) == 0 {
			t.Fatalf("industry federations: %v", err)
		}
		fed := feds[0]
		// households are not members of industry federations in the demo
		hh, _, err := s.Registry.List(ctx, admin, registry.Filter{Kind: "household", PerPage: 3})
		if err != nil || len(hh) < 3 {
			t.Fatal("no households")
		}
		ids := make([]string, 3)
		for i, x := range hh {
			idn, _, err := s.Registry.Reveal(ctx, admin, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = idn
		}
		var buf bytes.Buffer
		tabular.WriteCSV(&buf, []string{"农合联", "主体证件号", "入会状态"}, [][]string{
			{fed.Name, ids[0], "已入会"},
			{fed.Code, ids[1], "待审核"},
			{fed.Name, ids[2], ""},
			{"不存在的农合联", ids[2], ""},
			{fed.Name, "500237190001010000", ""},
		}, true)
		imp := federation.MembershipImporter{S: s.Federation}
		res, err := imports.Run(ctx, d, imp, admin, bytes.NewReader(buf.Bytes()), "m.csv", nil)
		if err != nil || res.Imported != 3 || res.Rejected != 2 {
			t.Fatalf("first import: %s %v %+v", res.Summary(), err, res.Errors)
		}
		res, err = imports.Run(ctx, d, imp, admin, bytes.NewReader(buf.Bytes()), "m.csv", nil)
		if err != nil || res.Imported != 0 || res.Updated != 3 {
			t.Fatalf("re-import: %s %v", res.Summary(), err)
		}
		ms, total, err := s.Federation.ListMemberships(ctx, admin, federation.MembershipFilter{FederationID: fed.ID, SubjectID: hh[0].ID})
		if err != nil || total != 1 || ms[0].Status != federation.StatusApproved || ms[0].MemberNo == "" {
			t.Fatalf("approved membership: %d %+v %v", total, ms, err)
		}
		ms, _, _ = s.Federation.ListMemberships(ctx, admin, federation.MembershipFilter{FederationID: fed.ID, SubjectID: hh[1].ID})
		if len(ms) != 1 || ms[0].Status != federation.StatusApplied || !ms[0].OnBehalf {
			t.Fatalf("pending membership: %+v", ms)
		}
	})
}
