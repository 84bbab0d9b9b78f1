package market

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

func (s *Service) contractsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !canSee(p) {
		return errNoAccess
	}
	pg := web.ParsePage(r, 30, 200)
	q := r.URL.Query()
	items, total, err := s.ListContracts(r.Context(), p, ContractFilter{Status: q.Get("status"), Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	var statuses []Option
	for _, st := range []string{ContractDraft, ContractSigned, ContractFulfilled, ContractCancelled} {
		statuses = append(statuses, Option{st, ContractStatusLabel(st)})
	}
	return web.Render(w, r, http.StatusOK, "market/contracts.html", map[string]any{"Items": items, "Total": total, "Page": pg.Page,
		"Pages": pg.Pages(total), "Statuses": statuses})
}

// contractPost drafts a contract from the matches of a listing page.
func (s *Service) contractPost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	in := ContractInput{SupplyID: formInt(f.Get("supply_id")), DemandID: formInt(f.Get("demand_id")), Quantity: formInt(f.Get("quantity")),
		PriceFen: formFen(f.Get("price")), QualityTerms: f.Get("quality_terms")}
	for i, d := range f["due_date"] {
		if strings.TrimSpace(d) == "" {
			continue
		}
		var qty int64
		if i < len(f["due_quantity"]) {
			qty = formInt(f["due_quantity"][i])
		}
		in.Schedule = append(in.Schedule, InstalmentSpec{DueDate: strings.TrimSpace(d), Quantity: qty})
	}
	c, err := s.DraftContract(r.Context(), web.Principal(r), in)
	if err != nil {
		if isForm(err) {
			back := formInt(f.Get("from_listing"))
			if back != 0 {
				r.SetPathValue("id", fmt.Sprint(back))
				return s.renderListing(w, r, http.StatusUnprocessableEntity, err, f)
			}
		}
		return err
	}
	web.Flash(w, "合同已起草，待双方签字："+c.No)
	web.Redirect(w, r, fmt.Sprintf("/market/contracts/%d", c.ID))
	return nil
}

func (s *Service) contractPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderContract(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderContract(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.GetContract(r.Context(), p, id)
	if err != nil {
		return err
	}
	handle := canHandleContract(p, c) == nil
	side := party(p, c)
	data := map[string]any{"C": c, "Fields": map[string]string{}, "In": in, "Party": side, "Staff": isStaff(p) && handle, "Today": s.today(),
		"CanSignSeller": handle && c.Status == ContractDraft && c.SellerSignedAt == nil && (side == "seller" || side == ""),
		"CanSignBuyer":  handle && c.Status == ContractDraft && c.BuyerSignedAt == nil && (side == "buyer" || side == ""),
		"CanCancel":     handle && c.Status == ContractDraft,
		"CanAmend":      handle && c.Status == ContractSigned,
		"CanDeliver":    handle && c.Status == ContractSigned && side != "buyer",
		"CanAccept":     handle && c.Status == ContractSigned && side != "seller"}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "market/contract.html", data)
}

func (s *Service) contractActionPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var msg string
	switch r.PathValue("action") {
	case "sign":
		_, err = s.Sign(r.Context(), p, id, f.Get("side"))
		msg = "已签字"
	case "cancel":
		_, err = s.Cancel(r.Context(), p, id)
		msg = "合同已作废"
	case "supplement":
		in := SupplementInput{QuantityDelta: formInt(f.Get("quantity_delta")), Text: f.Get("text")}
		amt := strings.TrimSpace(f.Get("amount_delta"))
		neg := strings.HasPrefix(amt, "-")
		fen := formFen(strings.TrimPrefix(amt, "-"))
		if fen < 0 {
			err = apperr.FieldErrors(map[string]string{"amount_delta_fen": "金额变更应为元（最多两位小数，可为负）"})
			break
		}
		if neg {
			fen = -fen
		}
		in.AmountDeltaFen = fen
		_, err = s.AddSupplement(r.Context(), p, id, in)
		msg = "补充协议已录入"
	case "fulfil":
		in := FulfilmentInput{Kind: f.Get("kind"), OnDate: f.Get("on_date"), Quantity: formInt(f.Get("quantity")), AmountFen: formFen(f.Get("amount")), Note: f.Get("note")}
		if in.AmountFen < 0 {
			err = apperr.FieldErrors(map[string]string{"amount_fen": "金额应为元（最多两位小数）"})
			break
		}
		_, err = s.Fulfil(r.Context(), p, id, in)
		msg = FulfilLabel(in.Kind) + "已登记"
	default:
		return apperr.New(apperr.NotFound, "没有这个操作")
	}
	if err != nil {
		if isForm(err) {
			return s.renderContract(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/market/contracts/%d", id))
	return nil
}

// contractsExport writes the contracts p may read (same filters as the list) with their receivables as .xlsx.
func (s *Service) contractsExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	items, _, err := s.ListContracts(r.Context(), web.Principal(r), ContractFilter{Status: q.Get("status"), Q: q.Get("q"), Page: 1, PerPage: 5000})
	if err != nil {
		return err
	}
	sheet := tabular.Sheet{Name: "订单合同", Header: []string{"合同编号", "状态", "卖方", "买方", "品名", "等级", "数量（含补充）", "单位", "单价（元）",
		"合同金额（元，含补充）", "已交付", "已验收", "已付款（元）", "应收未收（元）", "按期交货（期）", "签订时间"}}
	for _, c := range items {
		signed := ""
		if c.SignedAt != nil {
			signed = web.FormatDateTime(*c.SignedAt)
		}
		sheet.Rows = append(sheet.Rows, []string{c.No, c.StatusLabel, c.SellerName, c.BuyerName, c.Product, c.Grade, strconv.FormatInt(c.EffQuantity, 10), c.Unit,
			web.FormatYuanExact(c.PriceFen), web.FormatYuanExact(c.EffAmountFen), strconv.FormatInt(c.DeliveredQty, 10), strconv.FormatInt(c.AcceptedQty, 10),
			web.FormatYuanExact(c.PaidFen), web.FormatYuanExact(c.ReceivableFen), fmt.Sprintf("%d/%d", c.OnTimeMet, c.OnTimeDue), signed})
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="contracts.xlsx"; filename*=UTF-8''`+url.PathEscape("订单合同-"+s.today()+".xlsx"))
	return tabular.WriteXLSX(w, sheet)
}
