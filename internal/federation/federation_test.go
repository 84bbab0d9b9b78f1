package federation_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"nongfu/internal/apperr"
	"nongfu/internal/federation"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/testenv"
)

const county = testenv.County

type env struct {
	*testenv.Env
	svc *federation.Service
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, federation.Migrations)
	e := &env{Env: base, svc: federation.NewService(d, base.Regions, base.Reg)}
	if len(e.Towns) < 4 {
		t.Fatalf("need 4 townships with villages, have %d", len(e.Towns))
	}
	return e
}

// household registers a household in township town.
func (e *env) household(town int, name string) *registry.Subject {
	e.T.Helper()
	return e.Create(e.Household(name, e.Village(town)))
}

// org registers an organisation of kind in township town.
func (e *env) org(kind string, town int, name string, industries ...string) *registry.Subject {
	e.T.Helper()
	in := e.Org(kind, name, e.Village(town))
	if len(industries) > 0 {
		in.Industries = &industries
	}
	return e.Create(in)
}

func ptr[T any](v T) *T { return &v }

func (e *env) fed(in federation.FederationInput) *federation.Federation {
	e.T.Helper()
	f, err := e.svc.CreateFederation(context.Background(), e.Admin, in)
	if err != nil {
		e.T.Fatalf("create federation: %v", err)
	}
	return f
}

// basic makes the county federation, a township federation over a 片区 of townships 0 and 1, and an industry one.
func (e *env) basic() (cf, tf, ind *federation.Federation) {
	cf = e.fed(federation.FederationInput{Name: ptr("巫山县农民合作经济组织联合会"), Level: ptr("county"), EstablishedOn: ptr("2024-03-20")})
	tf = e.fed(federation.FederationInput{Name: ptr("片区农合联"), Level: ptr("township"), Townships: &[]string{e.Towns[0].Code, e.Towns[1].Code}})
	ind = e.fed(federation.FederationInput{Name: ptr("巫山脆李产业农合联"), Level: ptr("industry"), Industry: ptr("脆李")})
	return
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func TestFederations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		cf, tf, ind := e.basic()
		if cf.Code != "X01" || tf.Code != "Z01" || ind.Code != "C01" {
			t.Errorf("codes = %s %s %s", cf.Code, tf.Code, ind.Code)
		}
		if tf.GuidedBy != cf.ID || ind.GuidedBy != cf.ID || tf.GuidedByName != cf.Name {
			t.Errorf("guidance: %d %d %q", tf.GuidedBy, ind.GuidedBy, tf.GuidedByName)
		}
		if tf.RegionCode != e.Towns[0].Code || len(tf.Townships) != 2 {
			t.Errorf("township federation region %s townships %v", tf.RegionCode, tf.Townships)
		}
		// Validation and uniqueness.
		_, err := e.svc.CreateFederation(ctx, e.Admin, federation.FederationInput{Name: ptr("乡镇"), Level: ptr("township")})
		if code(err) != apperr.Invalid || apperr.FieldsOf(err)["townships"] == "" {
			t.Errorf("township without townships: %v", err)
		}
		_, err = e.svc.CreateFederation(ctx, e.Admin, federation.FederationInput{Name: ptr("产业"), Level: ptr("industry")})
		if code(err) != apperr.Invalid || apperr.FieldsOf(err)["industry"] == "" {
			t.Errorf("industry without industry: %v", err)
		}
		_, err = e.svc.CreateFederation(ctx, e.Admin, federation.FederationInput{Name: ptr("第二个县级"), Level: ptr("county")})
		if code(err) != apperr.Conflict {
			t.Errorf("second county federation: %v", err)
		}
		_, err = e.svc.CreateFederation(ctx, e.Admin, federation.FederationInput{Name: &cf.Name, Level: ptr("industry"), Industry: ptr("柑橘")})
		if code(err) != apperr.Conflict {
			t.Errorf("duplicate name: %v", err)
		}
		op := &auth.Principal{UserID: 2, Username: "op", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
		if _, err := e.svc.CreateFederation(ctx, op, federation.FederationInput{Name: ptr("x"), Level: ptr("industry"), Industry: ptr("茶叶")}); code(err) != apperr.Forbidden {
			t.Errorf("operator creates: %v", err)
		}
		// Update.
		up, err := e.svc.UpdateFederation(ctx, e.Admin, tf.ID, federation.FederationInput{PresidentName: ptr("张明"), Townships: &[]string{e.Towns[0].Code, e.Towns[1].Code, e.Towns[2].Code}})
		if err != nil || up.PresidentName != "张明" || len(up.Townships) != 3 {
			t.Fatalf("update: %v %+v", err, up)
		}
		list, total, err := e.svc.ListFederations(ctx, op, federation.FedFilter{Level: "township"})
		if err != nil || total != 1 || list[0].ID != tf.ID {
			t.Errorf("list township: %v %d", err, total)
		}
		// A viewer of another county sees nothing.
		other := &auth.Principal{UserID: 3, Username: "other", Role: auth.Viewer, Scopes: []string{"500238000000"}}
		if _, err := e.svc.GetFederation(ctx, other, cf.ID); code(err) != apperr.NotFound {
			t.Errorf("other county: %v", err)
		}
	})
}

func TestMembershipLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		cf, tf, ind := e.basic()
		coop := e.org("cooperative", 0, "巫山县七星脆李专业合作社", "脆李")
		farm := e.org("family_farm", 1, "向家家庭农场")
		hh := e.household(0, "王德全")
		hhOut := e.household(3, "李秀英")

		// apply → approve (number) → withdraw
		m, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: coop.ID, Note: "申请", Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != federation.StatusApplied || !m.OnBehalf || m.SubjectKind != "cooperative" || len(m.Events) != 1 {
			t.Fatalf("applied: %+v", m)
		}
		if _, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: coop.ID, Consent: "当面确认"}); code(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "待审核") {
			t.Errorf("duplicate application: %v", err)
		}
		m, err = e.svc.Transition(ctx, e.Admin, m.ID, federation.ActApprove, federation.TransitionInput{})
		if err != nil || m.Status != federation.StatusApproved || m.MemberNo != cf.Code+"-0001" {
			t.Fatalf("approve: %v %+v", err, m)
		}
		if _, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: coop.ID, Consent: "当面确认"}); code(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), m.MemberNo) {
			t.Errorf("apply while member: %v", err)
		}
		// township and industry membership at the same time
		mt, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: tf.ID, SubjectID: coop.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		mi, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: ind.ID, SubjectID: coop.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{mt.ID, mi.ID} {
			if _, err := e.svc.Transition(ctx, e.Admin, id, federation.ActApprove, federation.TransitionInput{}); err != nil {
				t.Fatal(err)
			}
		}
		// custom member number and its uniqueness
		m2, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: farm.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, e.Admin, m2.ID, federation.ActApprove, federation.TransitionInput{MemberNo: m.MemberNo}); code(err) != apperr.Conflict {
			t.Errorf("reused member number: %v", err)
		}
		if m2b, err := e.svc.Transition(ctx, e.Admin, m2.ID, federation.ActApprove, federation.TransitionInput{}); err != nil || m2b.MemberNo != cf.Code+"-0002" {
			t.Errorf("second number: %v %+v", err, m2b)
		}
		// withdraw; history kept; re-apply allowed afterwards and gets a fresh number
		w, err := e.svc.Transition(ctx, e.Admin, m.ID, federation.ActWithdraw, federation.TransitionInput{Reason: "业务调整"})
		if err != nil || w.Status != federation.StatusWithdrawn || len(w.Events) != 3 || w.MemberNo != cf.Code+"-0001" {
			t.Fatalf("withdraw: %v %+v", err, w)
		}
		if w.Events[0].To != "applied" || w.Events[1].From != "applied" || w.Events[2].To != "withdrawn" || w.Events[2].Reason != "业务调整" {
			t.Errorf("events: %+v", w.Events)
		}
		if _, err := e.svc.Transition(ctx, e.Admin, m.ID, federation.ActApprove, federation.TransitionInput{}); code(err) != apperr.Conflict {
			t.Errorf("approve withdrawn: %v", err)
		}
		again, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: coop.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatalf("re-apply after withdrawal: %v", err)
		}
		if again, err = e.svc.Transition(ctx, e.Admin, again.ID, federation.ActApprove, federation.TransitionInput{}); err != nil || again.MemberNo != cf.Code+"-0003" {
			t.Errorf("re-approve: %v %+v", err, again)
		}
		// reject needs a reason
		mh, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: tf.ID, SubjectID: hh.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, e.Admin, mh.ID, federation.ActReject, federation.TransitionInput{}); code(err) != apperr.Invalid || apperr.FieldsOf(err)["reason"] == "" {
			t.Errorf("reject without reason: %v", err)
		}
		if r, err := e.svc.Transition(ctx, e.Admin, mh.ID, federation.ActReject, federation.TransitionInput{Reason: "材料不全"}); err != nil || r.Status != "rejected" || r.Reason != "材料不全" {
			t.Errorf("reject: %v %+v", err, r)
		}
		// expel needs a reason and an approved membership
		if _, err := e.svc.Transition(ctx, e.Admin, mt.ID, federation.ActExpel, federation.TransitionInput{}); code(err) != apperr.Invalid {
			t.Errorf("expel without reason: %v", err)
		}
		if x, err := e.svc.Transition(ctx, e.Admin, mt.ID, federation.ActExpel, federation.TransitionInput{Reason: "违反章程"}); err != nil || x.Status != "expelled" {
			t.Errorf("expel: %v", err)
		}
		// a household outside the 片区 cannot join the township federation
		if _, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: tf.ID, SubjectID: hhOut.ID, Consent: "当面确认"}); code(err) != apperr.Invalid {
			t.Errorf("household outside: %v", err)
		}
		// only active subjects apply
		if err := e.Reg.Deactivate(ctx, e.Admin, hhOut.ID, "迁出"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: hhOut.ID, Consent: "当面确认"}); code(err) != apperr.Invalid {
			t.Errorf("inactive subject: %v", err)
		}
		// audit chain intact and every write recorded
		if n, err := audit.Verify(ctx, d); err != nil || n == 0 {
			t.Errorf("audit verify: %d %v", n, err)
		}
		recs, _, err := audit.List(ctx, d, audit.Filter{Entity: "membership", EntityID: m.ID})
		if err != nil || len(recs) != 3 {
			t.Errorf("audit of membership: %d %v", len(recs), err)
		}
	})
}

func TestAccessRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		cf, tf, _ := e.basic()
		other := e.fed(federation.FederationInput{Name: ptr("另一乡镇农合联"), Level: ptr("township"), Townships: &[]string{e.Towns[3].Code}})
		hh0 := e.household(0, "王德全")
		hh3 := e.household(3, "张春燕")
		farm := e.org("family_farm", 0, "七星家庭农场")
		op0 := &auth.Principal{UserID: 10, Username: "op0", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
		member := &auth.Principal{UserID: 11, Username: "m", Role: auth.Member, SubjectID: hh0.ID}
		viewer := &auth.Principal{UserID: 12, Username: "v", Role: auth.Viewer, Scopes: []string{county}}

		// township operator: files for subjects in scope only; reviews only federations covering its township
		if _, err := e.svc.Apply(ctx, op0, federation.ApplyInput{FederationID: other.ID, SubjectID: hh3.ID, Consent: "当面确认"}); code(err) != apperr.Forbidden {
			t.Errorf("operator files outside scope: %v", err)
		}
		mo, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: other.ID, SubjectID: hh3.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, op0, mo.ID, federation.ActApprove, federation.TransitionInput{}); code(err) != apperr.NotFound && code(err) != apperr.Forbidden {
			t.Errorf("operator approves in another township: %v", err)
		}
		mt, err := e.svc.Apply(ctx, op0, federation.ApplyInput{FederationID: tf.ID, SubjectID: farm.ID, Consent: "当面确认"})
		if err != nil || !mt.OnBehalf || mt.AppliedByName != "op0" {
			t.Fatalf("operator files: %v %+v", err, mt)
		}
		if _, err := e.svc.Transition(ctx, op0, mt.ID, federation.ActApprove, federation.TransitionInput{}); err != nil {
			t.Errorf("operator approves own township: %v", err)
		}
		// county federation: operator files, but cannot approve
		mc, err := e.svc.Apply(ctx, op0, federation.ApplyInput{FederationID: cf.ID, SubjectID: farm.ID, Consent: "当面确认"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, op0, mc.ID, federation.ActApprove, federation.TransitionInput{}); code(err) != apperr.Forbidden {
			t.Errorf("operator approves in county federation: %v", err)
		}
		if _, err := e.svc.AddCharter(ctx, op0, other.ID, federation.CharterInput{AdoptedOn: "2024-05-01", Text: "章程"}); code(err) != apperr.Forbidden {
			t.Errorf("operator governs other township: %v", err)
		}
		if _, err := e.svc.AddCharter(ctx, op0, tf.ID, federation.CharterInput{AdoptedOn: "2024-05-01", Text: "章程"}); err != nil {
			t.Errorf("operator governs own: %v", err)
		}
		// member: applies only for itself, sees only its own
		if _, err := e.svc.Apply(ctx, member, federation.ApplyInput{FederationID: cf.ID, SubjectID: farm.ID, Consent: "当面确认"}); code(err) != apperr.Forbidden {
			t.Errorf("member applies for another subject: %v", err)
		}
		mm, err := e.svc.Apply(ctx, member, federation.ApplyInput{FederationID: tf.ID, Consent: "当面确认"})
		if err != nil || mm.OnBehalf || mm.SubjectID != hh0.ID {
			t.Fatalf("member applies: %v %+v", err, mm)
		}
		if _, err := e.svc.Transition(ctx, member, mm.ID, federation.ActApprove, federation.TransitionInput{}); code(err) != apperr.Forbidden {
			t.Errorf("member approves: %v", err)
		}
		if _, err := e.svc.GetMembership(ctx, member, mc.ID); code(err) != apperr.NotFound {
			t.Errorf("member reads another's membership: %v", err)
		}
		items, total, err := e.svc.ListMemberships(ctx, member, federation.MembershipFilter{})
		if err != nil || total != 1 || items[0].ID != mm.ID {
			t.Errorf("member list: %v %d", err, total)
		}
		if _, err := e.svc.Transition(ctx, e.Admin, mm.ID, federation.ActApprove, federation.TransitionInput{}); err != nil {
			t.Fatal(err)
		}
		if w, err := e.svc.Transition(ctx, member, mm.ID, federation.ActWithdraw, federation.TransitionInput{}); err != nil || w.Status != "withdrawn" {
			t.Errorf("member withdraws: %v", err)
		}
		// viewer: reads everything in the county, writes nothing
		if _, total, err := e.svc.ListMemberships(ctx, viewer, federation.MembershipFilter{}); err != nil || total != 4 {
			t.Errorf("viewer list: %v %d", err, total)
		}
		if _, err := e.svc.AddCharter(ctx, viewer, cf.ID, federation.CharterInput{AdoptedOn: "2024-05-01", Text: "x"}); code(err) != apperr.Forbidden {
			t.Errorf("viewer writes: %v", err)
		}
		if _, err := e.svc.Apply(ctx, viewer, federation.ApplyInput{FederationID: cf.ID, SubjectID: farm.ID, Consent: "当面确认"}); code(err) != apperr.Forbidden {
			t.Errorf("viewer applies: %v", err)
		}
		// operator sees memberships of its township and of federations it governs, not the other township's
		_, total, err = e.svc.ListMemberships(ctx, op0, federation.MembershipFilter{})
		if err != nil || total != 3 {
			t.Errorf("operator list: %v %d", err, total)
		}
		if _, err := e.svc.GetMembership(ctx, op0, mo.ID); code(err) != apperr.NotFound {
			t.Errorf("operator reads other township: %v", err)
		}
		// review queue counts
		o, err := e.svc.Overview(ctx, e.Admin)
		if err != nil || o.Pending != 2 || o.Feds != 4 {
			t.Errorf("overview admin: %v %+v", err, o)
		}
		o, err = e.svc.Overview(ctx, op0)
		if err != nil || o.Pending != 0 {
			t.Errorf("overview operator: %v %+v", err, o)
		}
	})
}

func TestLiveCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		cf, _, _ := e.basic()
		subs := []*registry.Subject{e.org("cooperative", 0, "甲合作社"), e.org("cooperative", 1, "乙合作社"), e.org("family_farm", 1, "丙家庭农场"),
			e.household(2, "赵明"), e.household(2, "钱华")}
		var ids []int64
		for _, x := range subs {
			m, err := e.svc.Apply(ctx, e.Admin, federation.ApplyInput{FederationID: cf.ID, SubjectID: x.ID, Consent: "当面确认"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		for _, id := range ids[:4] {
			if _, err := e.svc.Transition(ctx, e.Admin, id, federation.ActApprove, federation.TransitionInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.Transition(ctx, e.Admin, ids[0], federation.ActWithdraw, federation.TransitionInput{}); err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.FederationStats(ctx, e.Admin, cf.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Members != 3 || st.ByStatus["applied"] != 1 || st.ByStatus["withdrawn"] != 1 {
			t.Errorf("by status: %+v", st)
		}
		kinds := map[string]int{}
		for _, c := range st.ByKind {
			kinds[c.Code] = c.Count
		}
		if kinds["cooperative"] != 1 || kinds["family_farm"] != 1 || kinds["household"] != 1 || st.ByKind[0].Label != "农户" {
			t.Errorf("by kind: %+v", st.ByKind)
		}
		towns := map[string]int{}
		for _, c := range st.ByTownship {
			towns[c.Code] = c.Count
		}
		if towns[e.Towns[1].Code] != 2 || towns[e.Towns[2].Code] != 1 || towns[e.Towns[0].Code] != 0 {
			t.Errorf("by township: %+v", st.ByTownship)
		}
		f, err := e.svc.GetFederation(ctx, e.Admin, cf.ID)
		if err != nil || f.MemberCount != 3 || f.PendingCount != 1 {
			t.Errorf("federation counts: %v %d %d", err, f.MemberCount, f.PendingCount)
		}
	})
}

func TestGovernance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		cf, _, _ := e.basic()
		for i, text := range []string{"第一版章程", "第二版章程", "第三版章程"} {
			c, err := e.svc.AddCharter(ctx, e.Admin, cf.ID, federation.CharterInput{AdoptedOn: fmt.Sprintf("2024-0%d-01", i+3), Text: text})
			if err != nil || c.Version != i+1 {
				t.Fatalf("charter %d: %v %+v", i, err, c)
			}
		}
		cs, err := e.svc.Charters(ctx, e.Admin, cf.ID)
		if err != nil || len(cs) != 3 || cs[0].Version != 3 || !cs[0].Current || cs[1].Current || cs[2].Text != "第一版章程" {
			t.Errorf("charters: %v %+v", err, cs)
		}
		if _, err := e.svc.AddCharter(ctx, e.Admin, cf.ID, federation.CharterInput{AdoptedOn: "昨天", Text: ""}); code(err) != apperr.Invalid || len(apperr.FieldsOf(err)) != 2 {
			t.Errorf("bad charter: %v", err)
		}
		b, err := e.svc.AddBody(ctx, e.Admin, cf.ID, federation.BodyInput{Kind: "council", TermStart: "2024-03-20", TermEnd: "2029-03-19"})
		if err != nil || b.TermNo != 1 {
			t.Fatalf("body: %v %+v", err, b)
		}
		if _, err := e.svc.AddBody(ctx, e.Admin, cf.ID, federation.BodyInput{Kind: "council", TermNo: 1, TermStart: "2024-03-20"}); code(err) != apperr.Conflict {
			t.Errorf("duplicate term: %v", err)
		}
		p, err := e.svc.AddPost(ctx, e.Admin, cf.ID, federation.PostInput{BodyID: b.ID, Title: "会长", HolderName: "张明"})
		if err != nil || p.TermStart != "2024-03-20" || p.TermEnd != "2029-03-19" {
			t.Errorf("post: %v %+v", err, p)
		}
		if _, err := e.svc.AddPost(ctx, e.Admin, cf.ID, federation.PostInput{BodyID: 42, Title: "", HolderName: ""}); code(err) != apperr.Invalid || len(apperr.FieldsOf(err)) != 3 {
			t.Errorf("bad post: %v", err)
		}
		m, err := e.svc.AddMeeting(ctx, e.Admin, cf.ID, federation.MeetingInput{BodyID: b.ID, HeldOn: "2024-03-21", Title: "第一届理事会第一次会议",
			Attendees: []string{"张明、李华,王强"}, Expected: 5, Minutes: "选举会长"})
		if err != nil || m.Present != 3 || len(m.Attendees) != 3 {
			t.Errorf("meeting: %v %+v", err, m)
		}
		if _, err := e.svc.AddMeeting(ctx, e.Admin, cf.ID, federation.MeetingInput{BodyID: b.ID, HeldOn: "2024-03-21", Title: "x", Present: 9, Expected: 5}); code(err) != apperr.Invalid {
			t.Errorf("present > expected: %v", err)
		}
		bodies, err := e.svc.Bodies(ctx, e.Admin, cf.ID)
		if err != nil || len(bodies) != 1 || len(bodies[0].Posts) != 1 {
			t.Errorf("bodies: %v %+v", err, bodies)
		}
		ms, err := e.svc.Meetings(ctx, e.Admin, cf.ID)
		if err != nil || len(ms) != 1 || ms[0].BodyLabel != "理事会" {
			t.Errorf("meetings: %v %+v", err, ms)
		}
	})
}

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		ds := federation.DemoSubjects{County: "500237", Orgs: map[string][]int64{}, Households: map[string][]int64{}}
		for i := range 4 {
			ds.Townships = append(ds.Townships, e.Towns[i].Code)
		}
		// the demo loader creates subjects and federations in one transaction
		err := d.InTx(ctx, func(tx *db.Tx) error {
			mk := func(in registry.SubjectInput) int64 {
				x, err := e.Reg.CreateTx(ctx, tx, nil, in)
				if err != nil {
					t.Fatal(err)
				}
				return x.ID
			}
			for i, kind := range []string{"cooperative", "cooperative", "cooperative", "family_farm", "family_farm", "enterprise", "supply_coop", "bank", "village_collective", "village_collective", "village_collective"} {
				in := e.Org(kind, fmt.Sprintf("演示%s%d", registry.KindLabel(kind), i), e.Village(i%4))
				in.Industries = &[]string{"脆李"}
				ds.Orgs[kind] = append(ds.Orgs[kind], mk(in))
			}
			for i := range 80 {
				town := i % 4
				ds.Households[e.Towns[town].Code] = append(ds.Households[e.Towns[town].Code],
					mk(e.Household(fmt.Sprintf("农户%d", i), e.Village(town))))
			}
			return e.svc.SeedDemo(ctx, tx, ds)
		})
		if err != nil {
			t.Fatal(err)
		}
		feds, total, err := e.svc.ListFederations(ctx, e.Admin, federation.FedFilter{})
		if err != nil || total != 7 { // 1 county + 4 single townships (only 4 given) + 2 industry
			t.Fatalf("federations: %v %d", err, total)
		}
		if feds[0].Level != "county" || feds[0].SecretariatSubjectID != ds.Orgs["supply_coop"][0] || feds[0].MemberCount != 6 {
			t.Errorf("county federation: %+v", feds[0])
		}
		st, err := e.svc.FederationStats(ctx, e.Admin, feds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"approved", "applied", "rejected", "withdrawn", "expelled"} {
			if st.ByStatus[s] == 0 {
				t.Errorf("county federation has no %s membership: %+v", s, st.ByStatus)
			}
		}
		cs, err := e.svc.Charters(ctx, e.Admin, feds[0].ID)
		if err != nil || len(cs) != 2 {
			t.Errorf("charters: %v %d", err, len(cs))
		}
		bodies, err := e.svc.Bodies(ctx, e.Admin, feds[0].ID)
		if err != nil || len(bodies) != 3 {
			t.Errorf("bodies: %v %d", err, len(bodies))
		}
		ms, err := e.svc.Meetings(ctx, e.Admin, feds[0].ID)
		if err != nil || len(ms) < 2 {
			t.Errorf("meetings: %v %d", err, len(ms))
		}
		items, _, err := e.svc.ListMemberships(ctx, e.Admin, federation.MembershipFilter{FederationID: feds[0].ID, Status: "withdrawn"})
		if err != nil || len(items) == 0 {
			t.Fatal(err)
		}
		det, err := e.svc.GetMembership(ctx, e.Admin, items[0].ID)
		if err != nil || len(det.Events) != 3 || det.MemberNo == "" {
			t.Errorf("seeded history: %v %+v", err, det)
		}
		// a seeded pending application can be reviewed; numbers continue the sequence
		pend, _, err := e.svc.ListMemberships(ctx, e.Admin, federation.MembershipFilter{FederationID: feds[0].ID, Status: "applied"})
		if err != nil || len(pend) == 0 {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(ctx, e.Admin, pend[0].ID, federation.ActApprove, federation.TransitionInput{}); err != nil {
			t.Errorf("approve seeded: %v", err)
		}
		// seeding again changes nothing
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, ds) }); err != nil {
			t.Fatal(err)
		}
		if _, total2, _ := e.svc.ListFederations(ctx, e.Admin, federation.FedFilter{}); total2 != total {
			t.Errorf("second seed added federations: %d", total2)
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Error(err)
		}
	})
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------------------

func TestHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)

		hh := e.household(0, "王德全")
		hh3 := e.household(3, "张春燕")
		coop := e.org("cooperative", 0, "七星合作社")
		admin := site.User(auth.NewUser{Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}})
		op3 := site.User(auth.NewUser{Username: "op3", Role: auth.TownshipOperator, Scopes: []string{e.Towns[3].Code}})
		member := site.User(auth.NewUser{Username: "farmer", Role: auth.Member, SubjectID: hh.ID})

		st, body := admin.JSON("POST", "/api/v1/federations", map[string]any{"name": "巫山县农民合作经济组织联合会", "level": "county"})
		if st != 201 {
			t.Fatalf("create county: %d %v", st, body)
		}
		cfID := int64(body["id"].(float64))
		st, body = admin.JSON("POST", "/api/v1/federations", map[string]any{"name": "片区农合联", "level": "township", "townships": []string{e.Towns[0].Code, e.Towns[1].Code}})
		if st != 201 || body["guided_by"].(float64) != float64(cfID) {
			t.Fatalf("create township: %d %v", st, body)
		}
		tfID := int64(body["id"].(float64))
		if st, body = admin.JSON("POST", "/api/v1/federations", map[string]any{"name": "", "level": "township"}); st != 422 || body["error"].(map[string]any)["fields"] == nil {
			t.Errorf("invalid federation: %d %v", st, body)
		}
		if st, _ = admin.JSON("POST", "/api/v1/federations", map[string]any{"name": "x", "bogus": 1}); st != 422 {
			t.Errorf("unknown field: %d", st)
		}
		if st, _ = op3.JSON("POST", "/api/v1/federations", map[string]any{"name": "y", "level": "industry", "industry": "茶叶"}); st != 403 {
			t.Errorf("operator creates: %d", st)
		}
		if st, _ = admin.JSON("GET", "/api/v1/federations/123", nil); st != 404 {
			t.Errorf("missing federation: %d", st)
		}
		if st, body = admin.JSON("PUT", fmt.Sprintf("/api/v1/federations/%d", tfID), map[string]any{"president_name": "张明"}); st != 200 || body["president_name"] != "张明" {
			t.Errorf("update: %d %v", st, body)
		}
		if st, body = member.JSON("GET", "/api/v1/federations", nil); st != 200 || body["total"].(float64) != 2 {
			t.Errorf("member lists federations: %d %v", st, body)
		}
		if st, _ = site.Anonymous().JSON("GET", "/api/v1/federations", nil); st != 401 {
			t.Errorf("anonymous: %d", st)
		}

		// memberships
		st, body = member.JSON("POST", "/api/v1/memberships", map[string]any{"federation_id": tfID, "subject_id": coop.ID})
		if st != 403 {
			t.Errorf("member applies for another: %d %v", st, body)
		}
		st, body = member.JSON("POST", "/api/v1/memberships", map[string]any{"federation_id": tfID, "subject_id": hh.ID, "note": "自愿入会"})
		if st != 201 || body["status"] != "applied" || body["on_behalf"] != false {
			t.Fatalf("member applies: %d %v", st, body)
		}
		mid := int64(body["id"].(float64))
		if st, body = member.JSON("POST", "/api/v1/memberships", map[string]any{"federation_id": tfID, "subject_id": hh.ID}); st != 409 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "王德全") {
			t.Errorf("duplicate: %d %v", st, body)
		}
		if st, _ = op3.JSON("POST", fmt.Sprintf("/api/v1/memberships/%d/approve", mid), map[string]any{}); st != 404 && st != 403 {
			t.Errorf("operator of another township approves: %d", st)
		}
		if st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/memberships/%d/reject", mid), map[string]any{}); st != 422 {
			t.Errorf("reject without reason: %d %v", st, body)
		}
		st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/memberships/%d/approve", mid), nil)
		if st != 200 || body["member_no"] != "Z01-0001" {
			t.Fatalf("approve: %d %v", st, body)
		}
		if st, _ = admin.JSON("POST", fmt.Sprintf("/api/v1/memberships/%d/approve", mid), nil); st != 409 {
			t.Errorf("approve twice: %d", st)
		}
		if st, body = member.JSON("PUT", fmt.Sprintf("/api/v1/memberships/%d", mid), map[string]any{"note": "补充说明"}); st != 200 || body["note"] != "补充说明" {
			t.Errorf("update note: %d %v", st, body)
		}
		st, body = admin.JSON("POST", "/api/v1/memberships", map[string]any{"federation_id": cfID, "subject_id": hh3.ID})
		if st != 422 || !strings.Contains(fmt.Sprint(body), "consent") {
			t.Fatalf("on-behalf application without recorded consent: %d %v", st, body)
		}
		st, body = admin.JSON("POST", "/api/v1/memberships", map[string]any{"federation_id": cfID, "subject_id": hh3.ID, "consent": "电话确认"})
		if st != 201 || body["on_behalf"] != true {
			t.Fatalf("admin files on behalf: %d %v", st, body)
		}
		other := int64(body["id"].(float64))
		if st, _ = member.JSON("GET", fmt.Sprintf("/api/v1/memberships/%d", other), nil); st != 404 {
			t.Errorf("member reads another: %d", st)
		}
		if st, body = member.JSON("GET", "/api/v1/memberships", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("member list: %d %v", st, body)
		}
		if st, body = admin.JSON("GET", fmt.Sprintf("/api/v1/memberships?federation_id=%d&status=approved", tfID), nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("filtered list: %d %v", st, body)
		}
		if st, _ = admin.JSON("GET", "/api/v1/memberships?status=nonsense", nil); st != 422 {
			t.Errorf("bad status filter: %d", st)
		}
		if st, body = member.JSON("POST", fmt.Sprintf("/api/v1/memberships/%d/withdraw", mid), map[string]any{"reason": "外出务工"}); st != 200 || body["status"] != "withdrawn" {
			t.Errorf("withdraw: %d %v", st, body)
		}
		if st, body = member.JSON("GET", fmt.Sprintf("/api/v1/memberships/%d", mid), nil); st != 200 || len(body["events"].([]any)) != 3 {
			t.Errorf("events: %d %v", st, body)
		}
		if st, body = admin.JSON("GET", fmt.Sprintf("/api/v1/federations/%d/stats", tfID), nil); st != 200 || body["by_status"].(map[string]any)["withdrawn"].(float64) != 1 {
			t.Errorf("stats: %d %v", st, body)
		}

		// governance
		st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/federations/%d/bodies", cfID), map[string]any{"kind": "council", "term_start": "2024-03-20"})
		if st != 201 {
			t.Fatalf("body: %d %v", st, body)
		}
		bodyID := body["id"].(float64)
		if st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/federations/%d/posts", cfID), map[string]any{"body_id": bodyID, "title": "会长", "holder_name": "张明"}); st != 201 {
			t.Errorf("post: %d %v", st, body)
		}
		if st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/federations/%d/meetings", cfID), map[string]any{"body_id": bodyID, "held_on": "2024-03-21", "title": "理事会", "attendees": []string{"张明", "李华"}}); st != 201 || body["present"].(float64) != 2 {
			t.Errorf("meeting: %d %v", st, body)
		}
		for v := 1; v <= 2; v++ {
			if st, body = admin.JSON("POST", fmt.Sprintf("/api/v1/federations/%d/charters", cfID), map[string]any{"adopted_on": "2024-03-20", "text": "章程"}); st != 201 || body["version"].(float64) != float64(v) {
				t.Errorf("charter %d: %d %v", v, st, body)
			}
		}
		if st, _ = member.JSON("POST", fmt.Sprintf("/api/v1/federations/%d/charters", cfID), map[string]any{"adopted_on": "2024-03-20", "text": "x"}); st != 403 {
			t.Errorf("member adds charter: %d", st)
		}
		for _, p := range []string{"bodies", "meetings", "charters"} {
			if st, _ := admin.JSON("GET", fmt.Sprintf("/api/v1/federations/%d/%s", cfID, p), nil); st != 200 {
				t.Errorf("GET %s: %d", p, st)
			}
		}

		// pages render
		for _, p := range []string{"/federations", "/federations/new", fmt.Sprintf("/federations/%d", cfID), fmt.Sprintf("/federations/%d?tab=members&status=", tfID),
			fmt.Sprintf("/federations/%d?tab=governance", cfID), fmt.Sprintf("/federations/%d/edit", tfID), "/memberships", "/memberships/review",
			"/memberships/apply?q=" + "七星", fmt.Sprintf("/memberships/%d", other), "/"} {
			if st, html := admin.Page(p); st != 200 {
				t.Errorf("page %s: %d %s", p, st, html)
			}
		}
		for _, p := range []string{"/federations", "/memberships", "/memberships/apply", fmt.Sprintf("/memberships/%d", mid), "/"} {
			if st, html := member.Page(p); st != 200 {
				t.Errorf("member page %s: %d %.300s", p, st, html)
			}
		}
		if st, _ := member.Page("/memberships/review"); st != 403 {
			t.Errorf("member review page: %d", st)
		}
		if st, html := admin.Page("/"); st != 200 || !strings.Contains(html, "待审核入会申请") {
			t.Errorf("home stats missing")
		}
		// every API route is in the OpenAPI document
		_, doc := admin.JSON("GET", "/api/v1/openapi.json", nil)
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/federations", "/api/v1/federations/{id}/stats", "/api/v1/memberships/{id}/expel"} {
			if paths[p] == nil {
				t.Errorf("openapi lacks %s", p)
			}
		}
	})
}

func TestFormErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		srv, as := webtest.NewServer(d, e.svc.Routes)
		cf, _, _ := e.basic()
		if _, err := as.CreateUser(ctx, nil, auth.NewUser{Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}, Password: "demo-pass-123"}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := as.Login(ctx, "admin", "demo-pass-123", "t", auth.KindAPILogin)
		if err != nil {
			t.Fatal(err)
		}
		post := func(path, form string) (int, string) {
			req := httptest.NewRequest("POST", path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
		st, html := post(fmt.Sprintf("/federations/%d/charters", cf.ID), "adopted_on=&text=")
		if st != 422 || !strings.Contains(html, "请填写章程全文") || !strings.Contains(html, "has-error") {
			t.Errorf("charter form errors: %d", st)
		}
		st, html = post("/federations/new", "level=township&name=")
		if st != 422 || !strings.Contains(html, "请填写农合联名称") {
			t.Errorf("federation form errors: %d", st)
		}
		st, _ = post(fmt.Sprintf("/federations/%d/charters", cf.ID), "adopted_on=2024-05-01&text=新章程")
		if st != 303 {
			t.Errorf("charter form success: %d", st)
		}
		st, html = post("/memberships/apply", "federation_id=&subject_id=")
		if st != 422 || !strings.Contains(html, "请选择要加入的农合联") {
			t.Errorf("apply form errors: %d", st)
		}
	})
}
