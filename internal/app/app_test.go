package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/tabular"
	"nongfu/internal/validate"
)

type subject struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	RegionCode string   `json:"region_code"`
	IDNumber   string   `json:"id_number"`
	Phone      string   `json:"phone"`
	Industries []string `json:"industries"`
}

type list struct {
	Items   []subject `json:"items"`
	Total   int       `json:"total"`
	Page    int       `json:"page"`
	PerPage int       `json:"per_page"`
}

type apiErr struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func idNumber(n int) string {
	base := fmt.Sprintf("500237%04d%02d%02d%03d", 1960+n%40, 1+n%12, 1+n%28, 500+n%500)
	c, _ := validate.IDNumberCheckChar(base)
	return base + string(c)
}

// TestAccessMatrix: every role × list/view/edit × a record inside and outside the township operator's scope.
func TestAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 150)
		tokens := map[string]string{}
		for _, acc := range demo.Accounts() {
			tokens[acc.Username] = s.Token(acc.Username, demo.DemoPassword)
		}
		admin := tokens["county_admin"]
		var me struct {
			Scopes []string `json:"scopes"`
		}
		s.Call(tokens["township_operator"], "GET", "/api/v1/me", nil, &me)
		if len(me.Scopes) != 1 {
			t.Fatalf("township operator scopes %v", me.Scopes)
		}
		town := me.Scopes[0][:9]
		var all list
		if st := s.Call(admin, "GET", "/api/v1/subjects?per_page=500&kind=household", nil, &all); st != 200 {
			t.Fatalf("admin list %d", st)
		}
		var in, out subject
		for _, x := range all.Items {
			if strings.HasPrefix(x.RegionCode, town) && in.ID == 0 {
				in = x
			}
			if !strings.HasPrefix(x.RegionCode, town) && out.ID == 0 {
				out = x
			}
		}
		if in.ID == 0 || out.ID == 0 {
			t.Fatal("demo has no household inside and outside the township")
		}
		type want struct {
			listAll                          bool // sees more than its own township/subject
			viewIn, viewOut, editIn, editOut int
		}
		ro := want{true, 200, 200, 403, 403}
		cases := map[string]want{
			"county_admin":      {true, 200, 200, 200, 200},
			"township_operator": {false, 200, 404, 200, 404},
			"provider":          {false, 404, 404, 404, 404},
			"member":            {false, 404, 404, 404, 404},
			"bank":              {false, 404, 404, 404, 404},
			"department":        ro, "taskforce": ro, "viewer": ro, "sysadmin": ro,
		}
		for role, w := range cases {
			tok := tokens[role]
			var l list
			if st := s.Call(tok, "GET", "/api/v1/subjects?per_page=500", nil, &l); st != 200 {
				t.Fatalf("%s list: %d", role, st)
			}
			regions := map[string]bool{}
			for _, x := range l.Items {
				regions[x.RegionCode[:9]] = true
			}
			switch {
			case w.listAll && len(regions) < 10:
				t.Errorf("%s sees only %d townships", role, len(regions))
			case !w.listAll && role == "township_operator" && (len(regions) != 1 || !regions[town]):
				t.Errorf("township operator sees %v", regions)
			case !w.listAll && role != "township_operator" && l.Total != 1:
				t.Errorf("%s sees %d subjects, want only its own", role, l.Total)
			}
			for _, c := range []struct {
				name string
				x    subject
				view int
				edit int
			}{{"in", in, w.viewIn, w.editIn}, {"out", out, w.viewOut, w.editOut}} {
				var got subject
				if st := s.Call(tok, "GET", fmt.Sprintf("/api/v1/subjects/%d", c.x.ID), nil, &got); st != c.view {
					t.Errorf("%s view %s: %d, want %d", role, c.name, st, c.view)
				} else if st == 200 && !strings.Contains(got.IDNumber, "*") {
					t.Errorf("%s view %s: ID number not masked: %q", role, c.name, got.IDNumber)
				}
				var e apiErr
				st := s.Call(tok, "PATCH", fmt.Sprintf("/api/v1/subjects/%d", c.x.ID), map[string]string{"address": role + " 改的地址"}, &e)
				if st != c.edit {
					t.Errorf("%s edit %s: %d, want %d (%s)", role, c.name, st, c.edit, e.Error.Message)
				}
			}
			// own subject: member-like roles see it
			if role == "member" || role == "provider" || role == "bank" {
				var own subject
				var l list
				s.Call(tok, "GET", "/api/v1/subjects", nil, &l)
				if len(l.Items) != 1 || s.Call(tok, "GET", fmt.Sprintf("/api/v1/subjects/%d", l.Items[0].ID), nil, &own) != 200 {
					t.Errorf("%s cannot view its own subject", role)
				}
			}
		}
		// an unauthenticated call is 401 with the error envelope
		var e apiErr
		if st := s.Call("", "GET", "/api/v1/subjects", nil, &e); st != 401 || e.Error.Code == "" {
			t.Errorf("anonymous list: %d %+v", st, e)
		}
	})
}

// TestSubjectsContract: validation, 201, 409, update, list envelope, and that bad input writes nothing.
func TestSubjectsContract(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 100)
		admin := s.Token("county_admin", demo.DemoPassword)
		village := s.Regions.Villages()[40].Code
		var before list
		s.Call(admin, "GET", "/api/v1/subjects?per_page=1", nil, &before)
		bad := idNumber(7)
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		var e apiErr
		st := s.Call(admin, "POST", "/api/v1/subjects", map[string]any{"name": "测试农户", "kind": "household", "region_code": village, "id_number": bad}, &e)
		if st != 422 || e.Error.Fields["id_number"] == "" || e.Error.Message == "" {
			t.Fatalf("bad ID: %d %+v", st, e)
		}
		st = s.Call(admin, "POST", "/api/v1/subjects", map[string]any{"name": "测试农户", "kind": "household", "region_code": village, "id_number": idNumber(7), "phone": "12345"}, &e)
		if st != 422 || e.Error.Fields["phone"] == "" {
			t.Fatalf("bad phone: %d %+v", st, e)
		}
		st = s.Call(admin, "POST", "/api/v1/subjects", map[string]any{"name": "测试农户", "kind": "household", "region_code": village, "unknown": 1}, &e)
		if st != 422 || e.Error.Fields["unknown"] == "" {
			t.Fatalf("unknown field: %d %+v", st, e)
		}
		var after list
		s.Call(admin, "GET", "/api/v1/subjects?per_page=1", nil, &after)
		if after.Total != before.Total {
			t.Fatalf("rejected requests wrote subjects: %d -> %d", before.Total, after.Total)
		}
		var x subject
		st = s.Call(admin, "POST", "/api/v1/subjects", map[string]any{"name": "测试农户", "kind": "household", "region_code": village, "id_number": idNumber(7),
			"phone": "13800138000", "industries": []string{"脆李", "柑橘"}}, &x)
		if st != 201 || x.ID == 0 || x.RegionCode != village || !strings.Contains(x.IDNumber, "*") || len(x.Industries) != 2 {
			t.Fatalf("create: %d %+v", st, x)
		}
		if st := s.Call(admin, "POST", "/api/v1/subjects", map[string]any{"name": "另一户", "kind": "household", "region_code": village, "id_number": idNumber(7)}, &e); st != 409 {
			t.Fatalf("duplicate: %d", st)
		}
		var upd subject
		if st := s.Call(admin, "PUT", fmt.Sprintf("/api/v1/subjects/%d", x.ID), map[string]any{"industries": []string{"核桃"}}, &upd); st != 200 || len(upd.Industries) != 1 || upd.Name != "测试农户" {
			t.Fatalf("update: %d %+v", st, upd)
		}
		var l list
		if st := s.Call(admin, "GET", "/api/v1/subjects?q="+idNumber(7)[14:]+"&per_page=5&page=1", nil, &l); st != 200 || l.Total < 1 || l.PerPage != 5 || l.Page != 1 {
			t.Fatalf("search by ID tail: %d %+v", st, l)
		}
		var reveal struct {
			IDNumber string `json:"id_number"`
		}
		if st := s.Call(admin, "POST", fmt.Sprintf("/api/v1/subjects/%d/reveal", x.ID), nil, &reveal); st != 200 || reveal.IDNumber != idNumber(7) {
			t.Fatalf("reveal: %d %+v", st, reveal)
		}
		viewer := s.Token("viewer", demo.DemoPassword)
		if st := s.Call(viewer, "POST", fmt.Sprintf("/api/v1/subjects/%d/reveal", x.ID), nil, nil); st != 403 {
			t.Fatalf("viewer reveal: %d", st)
		}
		var regions struct {
			Items []struct{ Code, Name, Level string } `json:"items"`
			Total int                                  `json:"total"`
		}
		if st := s.Call(admin, "GET", "/api/v1/regions?parent=500237000000&per_page=100", nil, &regions); st != 200 || regions.Total != 26 {
			t.Fatalf("townships: %d %d", st, regions.Total)
		}
	})
}

// TestOpenAPICoversEveryRoute: every API route answers something other than 404/405 at the path the document
// gives, and the document lists every route the server registered.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 30)
	admin := s.Token("county_admin", demo.DemoPassword)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if st := s.Call("", "GET", "/api/v1/openapi.json", nil, &doc); st != 200 {
		t.Fatalf("openapi: %d", st)
	}
	registered := map[string]bool{}
	for _, op := range s.Server.API.Ops() {
		registered[strings.ToLower(op.Method)+" "+op.Path] = true
	}
	var missing []string
	for k := range registered {
		m, p, _ := strings.Cut(k, " ")
		if doc.Paths[p][m] == nil {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes missing from openapi.json: %v", missing)
	}
	if len(doc.Paths) < 10 {
		t.Fatalf("only %d paths", len(doc.Paths))
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			url := strings.NewReplacer("{id}", "1", "{code}", "500237000000", "{name}", "subjects").Replace(p)
			req, _ := http.NewRequest(strings.ToUpper(m), s.URL+url, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 405 || resp.StatusCode >= 500 || (resp.StatusCode == 404 && resp.Header.Get("Content-Type") != "application/json; charset=utf-8") {
				t.Errorf("%s %s -> %d (%s)", m, url, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	}
}

func TestLoginThrottleAndLogout(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 30)
	var e apiErr
	for i := 0; i < 5; i++ {
		if st := s.Call("", "POST", "/api/v1/auth/login", map[string]string{"username": "viewer", "password": "wrong"}, &e); st != 401 {
			t.Fatalf("wrong password %d: %d", i, st)
		}
	}
	if st := s.Call("", "POST", "/api/v1/auth/login", map[string]string{"username": "viewer", "password": demo.DemoPassword}, &e); st != 429 || !strings.Contains(e.Error.Message, "分钟") {
		t.Fatalf("throttled login: %d %+v", st, e)
	}
	tok := s.Token("county_admin", demo.DemoPassword)
	if st := s.Call(tok, "POST", "/api/v1/auth/logout", nil, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st := s.Call(tok, "GET", "/api/v1/me", nil, nil); st != 401 {
		t.Fatalf("token after logout: %d", st)
	}
}

func TestKeyIsRequiredAndChecked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + dir + "/k.db"
	a, err := app.Open(ctx, app.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	// the key file beside the database is found again
	a, err = app.Open(ctx, app.Config{DSN: dsn})
	if err != nil {
		t.Fatalf("reopen with key file beside: %v", err)
	}
	a.Close()
	// a wrong key is refused
	if _, err := app.Open(ctx, app.Config{DSN: dsn, Key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}); err == nil || !strings.Contains(err.Error(), "不匹配") {
		t.Fatalf("wrong key: %v", err)
	}
	// a missing key on a database that needs one is a clear error, never plaintext
	if err := removeFile(dir + "/k.db.key"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Open(ctx, app.Config{DSN: dsn}); err == nil || !strings.Contains(err.Error(), "NONGFU_KEY") {
		t.Fatalf("missing key: %v", err)
	}
}

// TestExports: every list's export answers a workbook with the rows the caller may see.
func TestExports(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	for _, c := range []struct {
		user, path string
		minRows    int
	}{
		{"county_admin", "/subjects/export", 60},
		{"county_admin", "/subjects/export?format=csv&kind=household", 60},
		{"township_operator", "/subjects/export", 2},
		{"county_admin", "/plots/export", 60},
		{"county_admin", "/memberships/export", 50},
	} {
		tok := s.Token(c.user, demo.DemoPassword)
		req, _ := http.NewRequest("GET", s.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := tabular.ReadAll(resp.Body, c.path)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || len(rows) < c.minRows {
			t.Errorf("%s %s: status %d, %d rows, %v", c.user, c.path, resp.StatusCode, len(rows), err)
		}
	}
}

// TestAPITokenForMachineClients: an admin issues a named token for a bank's user; the token acts as that user.
func TestAPITokenForMachineClients(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 30)
	admin := s.Token("county_admin", demo.DemoPassword)
	var users struct {
		Items []struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	s.Call(admin, "GET", "/api/v1/users", nil, &users)
	var bankID int64
	for _, u := range users.Items {
		if u.Username == "bank" {
			bankID = u.ID
		}
	}
	var out struct {
		Token string `json:"token"`
	}
	if st := s.Call(admin, "POST", fmt.Sprintf("/api/v1/users/%d/tokens", bankID), map[string]string{"name": "农商行信贷系统"}, &out); st != 201 || out.Token == "" {
		t.Fatalf("issue token: %d", st)
	}
	var me struct {
		Username string `json:"username"`
	}
	if st := s.Call(out.Token, "GET", "/api/v1/me", nil, &me); st != 200 || me.Username != "bank" {
		t.Fatalf("token acts as %q (%d)", me.Username, st)
	}
	viewer := s.Token("viewer", demo.DemoPassword)
	if st := s.Call(viewer, "POST", fmt.Sprintf("/api/v1/users/%d/tokens", bankID), map[string]string{"name": "x"}, nil); st != 403 {
		t.Fatalf("viewer issues tokens: %d", st)
	}
}

// TestInterruptedJobsAreMarkedFailed: a job left running by a crash does not spin forever after a restart.
func TestInterruptedJobsAreMarkedFailed(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + t.TempDir() + "/j.db"
	a, err := app.Open(ctx, app.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO jobs (id, kind, title, status, user_id, created_at) VALUES (1, 'import:subjects', 'x', 'running', 1, ?)`, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a, err = app.Open(ctx, app.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var status, msg string
	a.DB.QueryRowContext(ctx, `SELECT status, message FROM jobs WHERE id = 1`).Scan(&status, &msg)
	if status != "failed" || !strings.Contains(msg, "重新导入") {
		t.Fatalf("interrupted job: %s %q", status, msg)
	}
}

// TestCreditFileShowsMemberships: the credit room reads federation memberships through the app's adapter.
func TestCreditFileShowsMemberships(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 40)
	admin := s.Token("county_admin", demo.DemoPassword)
	var me struct {
		SubjectID int64 `json:"subject_id"`
	}
	s.Call(s.Token("member", demo.DemoPassword), "GET", "/api/v1/me", nil, &me)
	var file map[string]any
	if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/credit-files/%d", me.SubjectID), nil, &file); st != 200 {
		t.Fatalf("credit file: %d", st)
	}
	b, _ := json.Marshal(file)
	if !strings.Contains(string(b), "农合联") {
		t.Fatalf("credit file of the demo cooperative lists no federation membership: %s", b)
	}
}
