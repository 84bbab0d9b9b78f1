package supply_test

import (
	"context"
	"strings"
	"testing"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/supply"
)

func TestNodeEditAndImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		n := e.node(supply.KindOutlet, "网点", e.Village(0))
		in := supply.NodeInput{Kind: supply.KindStation, Name: "七星服务站", RegionCode: e.Village(0), Functions: []string{"finance", "express"}, Status: supply.NodeBuilding}
		got, err := e.svc.UpdateNode(ctx, e.op, n.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != supply.KindStation || got.Functions[0] != "express" || got.Lng != n.Lng || got.Status != supply.NodeBuilding {
			t.Errorf("updated %+v", got)
		}
		if _, err := e.svc.UpdateNode(ctx, e.op1, n.ID, in); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("other township edits: %v", err)
		}
		bad := in
		bad.Functions = nil
		if _, err := e.svc.UpdateNode(ctx, e.op, n.ID, bad); apperr.FieldsOf(err)["functions"] == "" {
			t.Errorf("station without functions: %v", err)
		}
		moved := in
		moved.RegionCode = e.Village(1)
		if _, err := e.svc.UpdateNode(ctx, e.op, n.ID, moved); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator moves the node out of its township: %v", err)
		}
		coop := e.Create(e.Org("cooperative", "供销社", e.Village(0)))
		sheet := "类型,名称,区划代码,运营主体证件号,服务功能,状态\n" +
			"一站式村级服务站,甲村服务站," + e.Village(0) + "," + coop.CreditCode + ",快递收发、农资,运营中\n" +
			"流通网点,乙村网点," + e.Village(1) + ",,,建设中\n" +
			"一站式村级服务站,丙村服务站," + e.Village(0) + ",,,\n" +
			"仓库,丁," + e.Village(0) + ",,,\n" +
			"七星服务站改名,七星服务站," + e.Village(0) + ",,,\n"
		res, err := imports.Run(ctx, d, supply.NodeImporter{S: e.svc}, e.Admin, strings.NewReader(sheet), "nodes.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || res.Rejected != 3 {
			t.Errorf("import %+v", res)
		}
		msgs := ""
		for _, x := range res.Errors {
			msgs += x.Message + ";"
		}
		if !strings.Contains(msgs, "服务功能") || !strings.Contains(msgs, "未知的网点类型") {
			t.Errorf("row errors %s", msgs)
		}
		again, err := imports.Run(ctx, d, supply.NodeImporter{S: e.svc}, e.Admin, strings.NewReader(sheet), "nodes.csv", nil)
		if err != nil || again.Imported != 0 || again.Updated != 2 {
			t.Errorf("second import %+v %v", again, err)
		}
		list, total, _ := e.svc.ListNodes(ctx, e.Admin, supply.NodeFilter{Q: "甲村"})
		if total != 1 || list[0].OperatorID != coop.ID || len(list[0].Functions) != 2 {
			t.Errorf("imported %+v", list)
		}
		// an operator imports only inside its township
		res, _ = imports.Run(ctx, d, supply.NodeImporter{S: e.svc}, e.op, strings.NewReader("类型,名称,区划代码\n流通网点,外镇网点,"+e.Village(1)+"\n"), "x.csv", nil)
		if res.Rejected != 1 {
			t.Errorf("operator imports elsewhere %+v", res)
		}
		// distances
		dres, err := imports.Run(ctx, d, supply.DistanceImporter{S: e.svc}, e.Admin, strings.NewReader("起点网点,终点网点,道路里程（千米）\n甲村服务站,乙村网点,12.5\n甲村服务站,无此网点,3\n"), "d.csv", nil)
		if err != nil || dres.Imported != 1 || dres.Rejected != 1 {
			t.Errorf("distances %+v %v", dres, err)
		}
	})
}
