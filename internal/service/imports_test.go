package service_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/service"
	"nongfu/internal/tabular"
)

func importer(s *service.Service, name string) imports.Importer {
	for _, im := range s.Importers() {
		if im.Name() == name {
			return im
		}
	}
	return nil
}

func TestImports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		tech := e.Create(e.Org("cooperative", "测试农技服务队", e.Village(0)))
		var buf bytes.Buffer
		tabular.WriteCSV(&buf, []string{"主体编号", "类型", "成立年份", "服务项目", "服务乡镇", "入选名录库"}, [][]string{
			{fmt.Sprint(tech.ID), "农技", "2015", "测土配肥", e.Towns[0].Code, "是"},
			{fmt.Sprint(tech.ID + 999), "农技", "2015", "测土配肥", e.Towns[0].Code, ""}, // unknown subject
			{fmt.Sprint(e.farmer.ID), "农技", "2025", "测土配肥", e.Towns[0].Code, "是"},  // not qualified for the 名录库
			{fmt.Sprint(e.farmer.ID), "飞行", "", "", "", ""},                        // unknown kind
		}, true)
		res, err := imports.Run(ctx, d, importer(e.svc, "service_providers"), e.op, bytes.NewReader(buf.Bytes()), "p.csv", nil)
		if err != nil || res.Imported != 1 || res.Rejected != 3 {
			t.Fatalf("providers: %s %v %+v", res.Summary(), err, res.Errors)
		}
		buf.Reset()
		tabular.WriteCSV(&buf, []string{"服务主体", "农机名称", "农机类型", "可做服务", "效率（亩/天）", "机库经度", "机库纬度", "状态"}, [][]string{
			{e.prov.Name, "新拖拉机", "拖拉机", "机耕、机收", "50", "109.9", "31.1", "可用"},
			{e.prov.Name, "坏数据", "拖拉机", "机耕", "-5", "109.9", "31.1", ""},
			{"没有的主体", "x", "拖拉机", "机耕", "50", "109.9", "31.1", ""},
		}, true)
		res, err = imports.Run(ctx, d, importer(e.svc, "service_machines"), e.op, bytes.NewReader(buf.Bytes()), "m.csv", nil)
		if err != nil || res.Imported != 1 || res.Rejected != 2 {
			t.Fatalf("machines: %s %v %+v", res.Summary(), err, res.Errors)
		}
		buf.Reset()
		tabular.WriteCSV(&buf, []string{"主体编号", "地块名称", "托管环节", "托管方式", "服务项目", "服务主体"}, [][]string{
			{fmt.Sprint(e.farmer.ID), "1号田、2号田", "全程", "保姆式", "", e.prov.Name},
			{fmt.Sprint(e.farmer.ID), "3号田", "全程", "保姆式", "", ""},
			{fmt.Sprint(e.farmer.ID), "1号田", "单环节", "菜单式", "机耕、植保", ""},
		}, true)
		res, err = imports.Run(ctx, d, importer(e.svc, "service_orders"), e.op, bytes.NewReader(buf.Bytes()), "o.csv", nil)
		if err != nil || res.Imported != 1 || res.Rejected != 2 {
			t.Fatalf("orders: %s %v %+v", res.Summary(), err, res.Errors)
		}
		if !strings.Contains(fmt.Sprint(res.Errors), "3号田") {
			t.Fatalf("row errors do not name the plot: %+v", res.Errors)
		}
		orders, _, _ := e.svc.ListOrders(ctx, e.op, service.OrderFilter{})
		if len(orders) != 1 || math.Abs(orders[0].AreaMu-4*(e.plots[0].AreaMu+e.plots[1].AreaMu)) > 1e-9 || !orders[0].Proxy {
			t.Fatalf("imported order: %+v", *orders[0])
		}
		// another township's operator imports nothing here
		buf.Reset()
		tabular.WriteCSV(&buf, []string{"主体编号", "类型"}, [][]string{{fmt.Sprint(tech.ID), "农技"}}, true)
		res, _ = imports.Run(ctx, d, importer(e.svc, "service_providers"), e.op3, bytes.NewReader(buf.Bytes()), "p.csv", nil)
		if res.Rejected != 1 {
			t.Fatalf("op3 import: %s", res.Summary())
		}
	})
}
