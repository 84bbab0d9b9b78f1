package registry_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
)

func sheet(f fixture, bad bool) (header []string, rows [][]string) {
	town := f.regions.Townships()[7]
	village := f.regions.Children(town.Code)[2]
	header = []string{"主体类型", "名称", "身份证号", "手机号", "乡镇", "村社区", "主导产业", "经营面积(亩)", "统一社会信用代码"}
	rows = [][]string{
		{"农户", "向明德", idNumber(101), "13900001111", town.Name, village.Name, "脆李、柑橘", "6.5", ""},
		{"农户", "冉春秋", " " + idNumber(102) + " ", "139 0000 2222", town.Name, village.Name, "中药材", "3", ""},
		{"农民专业合作社", "巫山县导入测试专业合作社", "", "", town.Name, "", "脆李", "120", creditCode(9)},
	}
	if bad {
		id := idNumber(103)
		wrong := id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0']
		rows = append(rows,
			[]string{"农户", "谭错号", wrong, "13900003333", town.Name, village.Name, "脆李", "2", ""},
			[]string{"农户", "周无村", idNumber(104), "", town.Name, "不存在的村", "脆李", "2", ""},
			[]string{"外星人", "某某", idNumber(105), "", town.Name, village.Name, "榴莲", "abc", ""},
		)
	}
	return header, rows
}

func TestImportFormatsErrorsAndIdempotence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		imp := registry.SubjectImporter{S: f.reg}
		header, rows := sheet(f, true)

		var csvBuf bytes.Buffer
		if err := tabular.WriteCSV(&csvBuf, header, rows, true); err != nil {
			t.Fatal(err)
		}
		res, err := imports.Run(ctx, d, imp, f.admin, bytes.NewReader(csvBuf.Bytes()), "a.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 3 || res.Updated != 0 || res.Rejected != 3 {
			t.Fatalf("first import: %s %+v", res.Summary(), res.Errors)
		}
		lines := map[int][]string{}
		for _, e := range res.Errors {
			lines[e.Line] = append(lines[e.Line], e.Column+":"+e.Message)
		}
		if len(lines[5]) != 1 || !strings.Contains(lines[5][0], "身份证号") || !strings.Contains(lines[5][0], "校验位") {
			t.Fatalf("line 5 errors: %v", lines[5])
		}
		if len(lines[6]) != 1 || !strings.Contains(lines[6][0], "村社区") {
			t.Fatalf("line 6 errors: %v", lines[6])
		}
		if len(lines[7]) < 2 {
			t.Fatalf("line 7 should report several columns: %v", lines[7])
		}
		var wb bytes.Buffer
		if err := res.ErrorWorkbook(&wb); err != nil {
			t.Fatal(err)
		}
		eh, erows, err := tabular.ReadAll(bytes.NewReader(wb.Bytes()), "errors.xlsx")
		if err != nil || len(erows) != 3 || eh[len(eh)-2] != "错误说明" {
			t.Fatalf("error workbook: %v %d %v", eh, len(erows), err)
		}

		// the same file again: nothing new, the good rows update
		res, err = imports.Run(ctx, d, imp, f.admin, bytes.NewReader(csvBuf.Bytes()), "a.csv", nil)
		if err != nil || res.Imported != 0 || res.Updated != 3 || res.Rejected != 3 {
			t.Fatalf("re-import: %s %v", res.Summary(), err)
		}

		// GB18030 from Chinese office software, the bad rows fixed: the fixed rows land
		_, good := sheet(f, false)
		good = append(good, []string{"农户", "谭错号", idNumber(103), "13900003333", rows[0][4], rows[0][5], "脆李", "2", ""})
		var gb bytes.Buffer
		if err := tabular.WriteCSVGB18030(&gb, header, good); err != nil {
			t.Fatal(err)
		}
		if _, err := simplifiedchinese.GB18030.NewDecoder().Bytes(gb.Bytes()); err != nil {
			t.Fatal(err)
		}
		res, err = imports.Run(ctx, d, imp, f.admin, bytes.NewReader(gb.Bytes()), "b.csv", nil)
		if err != nil || res.Imported != 1 || res.Updated != 3 || res.Rejected != 0 {
			t.Fatalf("GB18030 import: %s %v %+v", res.Summary(), err, res.Errors)
		}

		// xlsx round trip through the export: export, edit, import
		var rowsOut [][]string
		if err := f.reg.Each(ctx, f.admin, registry.Filter{}, func(x *registry.Subject) error {
			r := f.reg.ExportRow(x)
			if x.Name == "向明德" {
				r[10] = "新地址 12 号"
			}
			rowsOut = append(rowsOut, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var xb bytes.Buffer
		if err := tabular.WriteXLSX(&xb, tabular.Sheet{Header: registry.ExportHeader(), Rows: rowsOut}); err != nil {
			t.Fatal(err)
		}
		res, err = imports.Run(ctx, d, imp, f.admin, bytes.NewReader(xb.Bytes()), "c.xlsx", nil)
		if err != nil || res.Imported != 0 || res.Updated != 4 || res.Rejected != 0 {
			t.Fatalf("xlsx round trip: %s %v %+v", res.Summary(), err, res.Errors)
		}
		items, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Q: "向明德"})
		if total != 1 || items[0].Address != "新地址 12 号" || len(items[0].Industries) != 2 {
			t.Fatalf("edited row not applied: %+v", items)
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Status: "all"}); total != 4 {
			t.Fatalf("duplicates after re-imports: %d subjects", total)
		}

		// a file without the required columns is a fatal error with a clear message
		var badHead bytes.Buffer
		tabular.WriteCSV(&badHead, []string{"随便", "什么"}, [][]string{{"1", "2"}}, false)
		if _, err := imports.Run(ctx, d, imp, f.admin, bytes.NewReader(badHead.Bytes()), "d.csv", nil); err == nil || !strings.Contains(err.Error(), "主体类型") {
			t.Fatalf("missing columns: %v", err)
		}
	})
}

func TestImportRespectsScope(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	ctx := context.Background()
	header, rows := sheet(f, false)
	var buf bytes.Buffer
	tabular.WriteCSV(&buf, header, rows, false)
	op := f.admin
	op = &(*op)
	other := *f.admin
	other.Role = "township_operator"
	other.Scopes = []string{f.regions.Townships()[0].Code}
	res, err := imports.Run(ctx, d, registry.SubjectImporter{S: f.reg}, &other, bytes.NewReader(buf.Bytes()), "a.csv", nil)
	if err != nil || res.Imported != 0 || res.Rejected != 3 {
		t.Fatalf("out-of-scope import: %s %v", res.Summary(), err)
	}
}

func TestMemberAndPlotImport(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	ctx := context.Background()
	header, rows := sheet(f, false)
	var buf bytes.Buffer
	tabular.WriteCSV(&buf, header, rows, false)
	if _, err := imports.Run(ctx, d, registry.SubjectImporter{S: f.reg}, f.admin, bytes.NewReader(buf.Bytes()), "a.csv", nil); err != nil {
		t.Fatal(err)
	}
	var mb bytes.Buffer
	tabular.WriteCSV(&mb, []string{"户主身份证号", "姓名", "与户主关系", "身份证号"}, [][]string{
		{idNumber(101), "向小红", "子女", idNumber(201)},
		{idNumber(101), "向小军", "子女", idNumber(202)},
		{idNumber(999), "无户主", "子女", ""},
	}, false)
	for round := 0; round < 2; round++ {
		res, err := imports.Run(ctx, d, registry.MemberImporter{S: f.reg}, f.admin, bytes.NewReader(mb.Bytes()), "m.csv", nil)
		want := [2]int{2, 0}
		if round == 1 {
			want = [2]int{0, 2}
		}
		if err != nil || res.Imported != want[0] || res.Updated != want[1] || res.Rejected != 1 {
			t.Fatalf("members round %d: %s %v", round, res.Summary(), err)
		}
	}
	var pb bytes.Buffer
	vcode := f.regions.Children(f.regions.Townships()[7].Code)[0].Code
	tabular.WriteCSV(&pb, []string{"主体证件号", "地块名称", "作物", "面积(亩)", "区划代码"}, [][]string{
		{idNumber(101), "屋后坡地", "脆李", "2.5", ""},
		{creditCode(9), "基地一号", "脆李", "80", vcode},
		{idNumber(101), "河坝田", "粮油", "-1", ""},
		{creditCode(9), "基地二号", "脆李", "80", ""},
	}, false)
	res, err := imports.Run(ctx, d, registry.PlotImporter{S: f.reg}, f.admin, bytes.NewReader(pb.Bytes()), "p.csv", nil)
	if err != nil || res.Imported != 2 || res.Rejected != 2 || !strings.Contains(res.Errors[1].Message, "村") {
		t.Fatalf("plots: %s %v %+v", res.Summary(), err, res.Errors)
	}
}
