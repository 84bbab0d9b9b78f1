package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
)

// Importers are the room's xlsx/csv imports: providers, machines and trusteeship orders. Each row is validated by
// the same use case as the screens (scope, fields) and rejected with a Chinese message before anything is written.
func (s *Service) Importers() []imports.Importer {
	return []imports.Importer{providerImporter{s}, machineImporter{s}, orderImporter{s}, roadImporter{s}}
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' })
}

// serviceCodes reads services as codes or Chinese names (机耕, 植保 …).
func serviceCodes(v string) ([]string, error) {
	var out []string
	for _, x := range splitList(v) {
		code := ""
		for _, it := range defaultCatalog {
			if it.Group == GroupProduction && (it.Code == x || it.Name == x || strings.Contains(it.Name, x)) {
				code = it.Code
				break
			}
		}
		if code == "" {
			return nil, fmt.Errorf("未知的服务：%s", x)
		}
		out = append(out, code)
	}
	return out, nil
}

func rowErr(field, msg string) error { return apperr.FieldErrors(map[string]string{field: msg}) }

type providerImporter struct{ s *Service }

func (providerImporter) Name() string  { return "service_providers" }
func (providerImporter) Title() string { return "服务主体" }
func (providerImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "subject_id", Header: "主体编号", Required: true, Note: "主体名录中的编号", Example: "100001"},
		{Key: "name", Header: "服务队名称", Note: "默认主体名称；同名则更新", Example: "丰收农机服务队"},
		{Key: "kind", Header: "类型", Required: true, Note: "农机 / 植保 / 农资 / 农技", Example: "农机"},
		{Key: "founded_year", Header: "成立年份", Example: "2018"},
		{Key: "services", Header: "服务项目", Note: "用顿号分隔：机耕、机播、植保、机收 …", Example: "机耕、机收"},
		{Key: "townships", Header: "服务乡镇", Note: "乡镇名称或代码，顿号分隔", Example: "骡坪镇"},
		{Key: "contact", Header: "联系人"}, {Key: "phone", Header: "电话"},
		{Key: "listed", Header: "入选名录库", Note: "是 / 否", Example: "是"},
	}
}

func (im providerImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := im.s
	sid, err := strconv.ParseInt(strings.TrimSpace(row["subject_id"]), 10, 64)
	if err != nil {
		return false, rowErr("subject_id", "主体编号应为数字")
	}
	kind := map[string]string{"农机": KindMachinery, "植保": KindProtection, "农资": KindInputs, "农技": KindTech}[strings.TrimSpace(row["kind"])]
	if kind == "" {
		kind = strings.TrimSpace(row["kind"])
	}
	svc, err := serviceCodes(row["services"])
	if err != nil {
		return false, rowErr("services", err.Error())
	}
	var towns []string
	for _, t := range splitList(row["townships"]) {
		code := t
		if _, ok := s.regions.Get(t); !ok {
			code = ""
			for _, pre := range p.Scopes {
				for _, c := range append(s.regions.Children(pre), s.regions.Children(pre[:min(len(pre), 6)]+"000000")...) {
					if c.Name == t {
						code = c.Code
					}
				}
			}
		}
		if code == "" {
			return false, rowErr("townships", "未知的乡镇："+t)
		}
		towns = append(towns, code)
	}
	year, _ := strconv.Atoi(strings.TrimSpace(row["founded_year"]))
	in := ProviderInput{SubjectID: sid, Name: row["name"], Kind: kind, FoundedYear: year, Services: svc, Townships: towns, Contact: row["contact"],
		Phone: row["phone"], Listed: strings.TrimSpace(row["listed"]) == "是"}
	_, created, err := s.saveProviderTx(ctx, tx, p, in)
	return created, err
}

type machineImporter struct{ s *Service }

func (machineImporter) Name() string  { return "service_machines" }
func (machineImporter) Title() string { return "农机" }
func (machineImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "provider", Header: "服务主体", Required: true, Note: "已登记的服务主体名称", Example: "丰收农机服务队"},
		{Key: "name", Header: "农机名称", Required: true, Note: "同一服务主体下同名则更新", Example: "东方红拖拉机 #1"},
		{Key: "kind", Header: "农机类型", Required: true, Example: "拖拉机"},
		{Key: "services", Header: "可做服务", Required: true, Example: "机耕"},
		{Key: "implement", Header: "配套机具", Example: "旋耕机"},
		{Key: "width_m", Header: "幅宽（米）", Example: "2.2"},
		{Key: "rate_mu_day", Header: "效率（亩/天）", Required: true, Example: "60"},
		{Key: "hours_day", Header: "每天小时", Example: "8"},
		{Key: "base_lng", Header: "机库经度", Required: true, Example: "109.88"},
		{Key: "base_lat", Header: "机库纬度", Required: true, Example: "31.07"},
		{Key: "operator", Header: "机手"},
		{Key: "status", Header: "状态", Note: "可用 / 故障 / 停用", Example: "可用"},
	}
}

func (im machineImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := im.s
	var pid int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM service_providers WHERE name = ? ORDER BY id LIMIT 1`, strings.TrimSpace(row["provider"])).Scan(&pid)
	if err != nil {
		return false, rowErr("provider", "没有这个服务主体："+row["provider"])
	}
	pr, err := s.loadProvider(ctx, tx, pid)
	if err != nil {
		return false, err
	}
	svc, err := serviceCodes(row["services"])
	if err != nil {
		return false, rowErr("services", err.Error())
	}
	hours, _ := strconv.Atoi(strings.TrimSpace(row["hours_day"]))
	status := map[string]string{"": MachineOK, "可用": MachineOK, "故障": MachineBroken, "停用": MachineRetired}[strings.TrimSpace(row["status"])]
	if status == "" {
		status = strings.TrimSpace(row["status"])
	}
	in := MachineInput{Name: row["name"], Kind: row["kind"], Services: svc, Implement: row["implement"], WidthM: formFloat(row["width_m"]), RateMuDay: formFloat(row["rate_mu_day"]),
		HoursDay: hours, BaseLng: formFloat(row["base_lng"]), BaseLat: formFloat(row["base_lat"]), Operator: row["operator"], Status: status}
	_, created, err := s.saveMachineTx(ctx, tx, p, pr, 0, in)
	return created, err
}

type orderImporter struct{ s *Service }

func (orderImporter) Name() string  { return "service_orders" }
func (orderImporter) Title() string { return "托管订单" }
func (orderImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "subject_id", Header: "主体编号", Required: true, Example: "100001"},
		{Key: "plots", Header: "地块名称", Required: true, Note: "该主体登记的地块，顿号分隔", Example: "1号田、2号田"},
		{Key: "scope", Header: "托管环节", Required: true, Note: "单环节 / 多环节 / 全程", Example: "全程"},
		{Key: "mode", Header: "托管方式", Required: true, Note: "保姆式 / 菜单式 / 订单式", Example: "保姆式"},
		{Key: "services", Header: "服务项目", Note: "全程、保姆式可留空", Example: ""},
		{Key: "provider", Header: "服务主体", Note: "可留空，受理时指派", Example: ""},
		{Key: "contract_ref", Header: "购销合同编号", Note: "订单式必填"},
		{Key: "note", Header: "备注"},
	}
}

func (im orderImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := im.s
	sid, err := strconv.ParseInt(strings.TrimSpace(row["subject_id"]), 10, 64)
	if err != nil {
		return false, rowErr("subject_id", "主体编号应为数字")
	}
	scope := map[string]string{"单环节": ScopeSingle, "多环节": ScopeMulti, "全程": ScopeWhole}[strings.TrimSuffix(strings.TrimSpace(row["scope"]), "托管")]
	mode := map[string]string{"保姆式": ModeNanny, "菜单式": ModeMenu, "订单式": ModeOrder}[strings.TrimSpace(row["mode"])]
	if scope == "" {
		return false, rowErr("scope", "托管环节应为 单环节、多环节或全程")
	}
	if mode == "" {
		return false, rowErr("mode", "托管方式应为 保姆式、菜单式或订单式")
	}
	svc, err := serviceCodes(row["services"])
	if err != nil {
		return false, rowErr("services", err.Error())
	}
	plots, _, err := s.subjects.Plots(ctx, p, registry.PlotFilter{SubjectID: sid, PerPage: 1000})
	if err != nil {
		return false, err
	}
	var ids []int64
	for _, name := range splitList(row["plots"]) {
		i := slices.IndexFunc(plots, func(pl registry.Plot) bool { return pl.Name == name })
		if i < 0 {
			return false, rowErr("plots", "该主体没有地块："+name)
		}
		ids = append(ids, plots[i].ID)
	}
	var pid int64
	if name := strings.TrimSpace(row["provider"]); name != "" {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM service_providers WHERE name = ? ORDER BY id LIMIT 1`, name).Scan(&pid); err != nil {
			return false, rowErr("provider", "没有这个服务主体："+name)
		}
	}
	po, err := s.prepareOrder(ctx, p, OrderInput{SubjectID: sid, PlotIDs: ids, Scope: scope, Mode: mode, Services: svc, ProviderID: pid,
		ContractRef: row["contract_ref"], Note: row["note"]})
	if err != nil {
		return false, err
	}
	_, err = s.insertOrder(ctx, tx, p, po)
	return err == nil, err
}
