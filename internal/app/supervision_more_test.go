package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"testing"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/tabular"
)

// TestSupervisionEditsUploadsExports (SQLite): work items are editable by the task force only; a report with a
// multipart attachment is stored and downloadable by the unit and refused to another department; the weekly
// summary exports as a workbook; funds reject an over-allocation through the API with a Chinese field message.
func TestSupervisionEditsUploadsExports(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	dept := s.Token("department", demo.DemoPassword)
	tf := s.Token("taskforce", demo.DemoPassword)
	viewer := s.Token("viewer", demo.DemoPassword)

	var items []struct {
		ID    int64  `json:"id"`
		No    int    `json:"no"`
		Title string `json:"title"`
	}
	s.Call(viewer, "GET", "/api/v1/supervision/items?kind=work", nil, &items)
	it := items[17] // ⑱
	if it.No != 18 || it.Title != "推动农业数字化转型升级" {
		t.Fatalf("item ⑱: %+v", it)
	}
	if st := s.Call(dept, "PUT", fmt.Sprintf("/api/v1/supervision/items/%d", it.ID), map[string]any{"note": "x"}, nil); st != 403 {
		t.Fatalf("department edits an item: %d", st)
	}
	var bad struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if st := s.Call(tf, "PUT", fmt.Sprintf("/api/v1/supervision/items/%d", it.ID), map[string]any{"title": "", "kpis": []string{"no_such_kpi"}}, &bad); st != 422 && st != 400 {
		t.Fatalf("bad item edit: %d", st)
	}
	if bad.Error.Fields["title"] == "" || bad.Error.Fields["kpis"] == "" {
		t.Fatalf("item fields: %v", bad.Error.Fields)
	}
	var edited struct {
		Note string   `json:"note"`
		KPIs []string `json:"kpis"`
	}
	if st := s.Call(tf, "PUT", fmt.Sprintf("/api/v1/supervision/items/%d", it.ID), map[string]any{"note": "专班补充说明", "kpis": []string{"smart_agri_bases"}}, &edited); st != 200 || edited.Note != "专班补充说明" {
		t.Fatalf("item edit: %d %+v", st, edited)
	}

	// multipart report with a PNG
	var tasks []supTask
	s.Call(dept, "GET", "/api/v1/supervision/tasks?mine=1", nil, &tasks)
	var task supTask
	for _, x := range tasks {
		if x.Mine == "lead" {
			task = x
			break
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("narrative", "本月新增两个乡镇开展试点，附现场照片。")
	_ = mw.WriteField("progress_pct", "85")
	_ = mw.WriteField("figure_name", "试点乡镇")
	_ = mw.WriteField("figure_value", "2")
	_ = mw.WriteField("figure_unit", "个")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="files"; filename="现场照片.png"`)
	h.Set("Content-Type", "image/png")
	fw, _ := mw.CreatePart(h)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")
	_, _ = fw.Write(png)
	_ = mw.Close()
	c := &webtest.Client{T: t, URL: s.URL, Token: dept}
	st, raw := c.Raw("POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", task.ID), mw.FormDataContentType(), &body)
	var rep struct {
		Figures []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"figures"`
		Files []struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
			Size        int64  `json:"size"`
		} `json:"files"`
	}
	_ = json.Unmarshal(raw, &rep)
	if st != 201 || len(rep.Files) != 1 || rep.Files[0].ContentType != "image/png" || rep.Files[0].Size != int64(len(png)) || len(rep.Figures) != 1 || rep.Figures[0].Value != 2 {
		t.Fatalf("multipart report: %d %s", st, raw)
	}
	st, got := c.Raw("GET", rep.Files[0].URL, "", nil)
	if st != 200 || !bytes.Equal(got, png) {
		t.Fatalf("download: %d %d bytes", st, len(got))
	}
	// a member is refused outright
	member := &webtest.Client{T: t, URL: s.URL, Token: s.Token("member", demo.DemoPassword)}
	if st, _ := member.Raw("GET", rep.Files[0].URL, "", nil); st != 403 {
		t.Fatalf("member downloads: %d", st)
	}
	// a disallowed type is refused with a field message
	var body2 bytes.Buffer
	mw2 := multipart.NewWriter(&body2)
	_ = mw2.WriteField("narrative", "本月新增两个乡镇开展试点，附脚本。")
	fw2, _ := mw2.CreateFormFile("files", "x.html")
	_, _ = fw2.Write([]byte("<html><script>alert(1)</script></html>"))
	_ = mw2.Close()
	st, raw = c.Raw("POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", task.ID), mw2.FormDataContentType(), &body2)
	if st != 422 && st != 400 || !bytes.Contains(raw, []byte("附件只接受")) {
		t.Fatalf("html attachment: %d %s", st, raw)
	}

	// weekly workbook
	vc := &webtest.Client{T: t, URL: s.URL, Token: viewer}
	st, xlsx := vc.Raw("GET", "/api/v1/supervision/weekly.xlsx", "", nil)
	if st != 200 {
		t.Fatalf("weekly xlsx: %d", st)
	}
	header, rows, err := tabular.ReadAll(bytes.NewReader(xlsx), "weekly.xlsx")
	if err != nil || len(header) != 2 || header[0] != "项目" || len(rows) < 7 || rows[0].Get(0) != "周期" {
		t.Fatalf("weekly workbook: %v %v %d", err, header, len(rows))
	}

	// funds through the API: over-allocation refused
	var funds []struct {
		ID int64 `json:"id"`
	}
	s.Call(viewer, "GET", "/api/v1/supervision/funds", nil, &funds)
	var fund struct {
		Budgets []struct {
			ID             int64 `json:"id"`
			UnallocatedFen int64 `json:"unallocated_fen"`
		} `json:"budgets"`
	}
	s.Call(viewer, "GET", fmt.Sprintf("/api/v1/supervision/funds/%d", funds[0].ID), nil, &fund)
	b := fund.Budgets[0]
	var units []struct {
		ID int64 `json:"id"`
	}
	s.Call(viewer, "GET", "/api/v1/supervision/units", nil, &units)
	st = s.Call(tf, "POST", fmt.Sprintf("/api/v1/supervision/budgets/%d/allocations", b.ID),
		map[string]any{"unit_id": units[0].ID, "project": "超额", "amount_fen": b.UnallocatedFen + 1}, &bad)
	if st != 422 && st != 400 || bad.Error.Fields["amount_fen"] == "" {
		t.Fatalf("over-allocation: %d %v", st, bad.Error.Fields)
	}
	if st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/budgets/%d/allocations", b.ID),
		map[string]any{"unit_id": units[0].ID, "project": "越权", "amount_fen": 1}, nil); st != 403 {
		t.Fatalf("department (not the managing unit) allocates: %d", st)
	}
}
