package market

import (
	"context"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/validate"
)

// ListingImporter imports supply and demand listings that township staff collect on paper or in spreadsheets
// (收购意向表、采购需求表) on the subjects' behalf. Each row is checked like a listing posted on the screen; a bad
// row is reported with its Chinese field message and nothing of it is written.
type ListingImporter struct{ S *Service }

func (ListingImporter) Name() string  { return "market_listings" }
func (ListingImporter) Title() string { return "供求信息" }
func (ListingImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "side", Header: "类型", Required: true, Note: "供应 或 求购", Example: "供应"},
		{Key: "subject", Header: "主体证件号", Required: true, Note: "统一社会信用代码、户主身份证号或主体编号；求购方须已登记为采购商",
			Aliases: []string{"统一社会信用代码", "身份证号", "主体编号"}, Example: "93500237MA5U000001"},
		{Key: "product", Header: "品名", Required: true, Example: "脆李"},
		{Key: "grade", Header: "等级", Note: "特级、一级、二级、统货；求购可留空（不限）", Example: "一级"},
		{Key: "quantity", Header: "数量", Required: true, Example: "5000"},
		{Key: "unit", Header: "单位", Required: true, Note: "公斤、斤、吨、箱、枚、头、只", Example: "公斤"},
		{Key: "price_fen", Header: "单价（元）", Note: "每单位价格，最多两位小数；留空为面议", Aliases: []string{"单价"}, Example: "8.50"},
		{Key: "date_from", Header: "开始日期", Required: true, Note: "上市或收货开始 YYYY-MM-DD", Example: "2026-07-01"},
		{Key: "date_to", Header: "结束日期", Required: true, Example: "2026-07-31"},
		{Key: "note", Header: "说明"},
	}
}

// ImportRow validates one row and posts it as a listing on the subject's behalf.
func (i ListingImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := i.S
	if !isStaff(p) {
		return false, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以导入供求信息")
	}
	fields := map[string]string{}
	side := map[string]string{"供应": SideSupply, "supply": SideSupply, "求购": SideDemand, "demand": SideDemand, "采购": SideDemand}[validate.Normalize(row["side"])]
	if side == "" {
		fields["side"] = "类型应为 供应 或 求购"
	}
	sid, err := s.subjects.FindByKey(ctx, tx, row["subject"])
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			return false, err
		}
		fields["subject"] = "主体名录中没有该主体，请先登记或导入主体"
	}
	qty := formInt(row["quantity"])
	if strings.TrimSpace(row["quantity"]) != "" && qty == 0 {
		fields["quantity"] = "数量应为正整数"
	}
	price := formFen(row["price_fen"])
	if price < 0 {
		fields["price_fen"] = "单价应为金额（元，最多两位小数）"
	}
	if len(fields) > 0 {
		return false, apperr.FieldErrors(fields)
	}
	in := ListingInput{Side: side, SubjectID: sid, Product: validate.Normalize(row["product"]), Grade: validate.Normalize(row["grade"]), Quantity: qty,
		Unit: validate.Normalize(row["unit"]), PriceFen: price, DateFrom: strings.TrimSpace(row["date_from"]), DateTo: strings.TrimSpace(row["date_to"]),
		Note: row["note"], Status: ListingOpen}
	in, err = s.validateListing(ctx, p, in, true)
	if f := apperr.FieldsOf(err); f != nil && f["subject_id"] != "" {
		f["subject"] = f["subject_id"] // the sheet's column
		delete(f, "subject_id")
		return false, apperr.FieldErrors(f)
	}
	if err != nil {
		return false, err
	}
	if err := canEditListing(p, in.SubjectID, in.RegionCode); err != nil {
		return false, err
	}
	in.Status = ListingOpen
	_, err = s.insertListing(ctx, tx, p, in, s.nowUTC())
	return err == nil, err
}
