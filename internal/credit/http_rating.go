package credit

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
	"nongfu/internal/solve/scorecard"
	"nongfu/internal/tabular"
)

// JSON API of the rating part of the room: models, ratings, 外评, records, 会员互评 and 整村授信 batches.

// FitResult is a fitted model version with the fit's summary.
type FitResult struct {
	Model     *RatingModel `json:"model"`
	Variables int          `json:"variables"`
	Excluded  int          `json:"excluded"`
	Records   int          `json:"records"`
}

func writeList[T any](w http.ResponseWriter, items []T, total int, pg web.PageReq) {
	web.WriteJSON(w, http.StatusOK, web.List[T]{Items: items, Total: total, Page: pg.Page, PerPage: pg.PerPage})
}

func (s *Service) ratingAPI(srv *web.Server) {
	const staff = "county_admin、township_operator、department、taskforce、viewer、sysadmin（管辖范围内）；bank"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/rating-models", Summary: "评级模型各版本", Tag: "credit", Response: web.List[RatingModel]{}, Roles: staff},
		func(w http.ResponseWriter, r *http.Request) error {
			l, err := s.ListModels(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			writeList(w, web.Deref(l), len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/rating-models", Summary: "新建评级模型版本（草稿）：给定义、复制某版本或用默认模型", Tag: "credit",
		Request: ModelInput{}, Response: RatingModel{}, Status: 201, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ModelInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.CreateModel(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, m)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/rating-models/{id}", Summary: "评级模型版本", Tag: "credit", Response: RatingModel{}, Roles: staff},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			m, err := s.GetModel(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, m)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/rating-models/{id}", Summary: "修改评级模型草稿（指标、分箱、分值、加减分项、等级线、内外评合成规则）", Tag: "credit",
		Request: ModelInput{}, Response: RatingModel{}, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ModelInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.UpdateModel(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, m)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/rating-models/{id}/approve", Summary: "批准评级模型草稿为现行版本（记录批准人，旧版本停用）", Tag: "credit",
		Response: RatingModel{}, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			m, err := s.ApproveModel(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, m)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/rating-models/fit", Summary: "由历史好坏样本拟合逻辑回归评分卡并存为模型草稿（multipart/form-data：csv 文件、target 目标列、bad 坏样本取值、name 名称）",
		Tag: "credit", Response: FitResult{}, Status: 201, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			res, err := s.fitFromRequest(r)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, res)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/ratings", Summary: "用现行模型为主体评级并存档（输入、各指标得分、模型版本）", Tag: "credit",
		Request: struct {
			SubjectID int64 `json:"subject_id"`
		}{}, Response: Rating{}, Status: 201, Roles: "county_admin、township_operator（管辖范围内）；已获授权的 bank"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				SubjectID int64 `json:"subject_id"`
			}
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.RateSubject(r.Context(), web.Principal(r), in.SubjectID)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/ratings", Summary: "评级记录", Tag: "credit", Query: []string{"subject_id", "grade", "region_code", "page", "per_page"},
		Response: web.List[Rating]{}, Roles: "本人；管辖范围内工作人员；bank 只看向其授权的主体"},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			pg := web.ParsePage(r, 50, 500)
			q := r.URL.Query()
			l, total, err := s.ListRatings(r.Context(), web.Principal(r), RatingFilter{SubjectID: sub, Grade: q.Get("grade"), Region: q.Get("region_code"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			writeList(w, web.Deref(l), total, pg)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/ratings/{id}", Summary: "评级明细：各指标输入与得分、加减分、主要原因，并按存档重算核对", Tag: "credit",
		Response: Rating{}, Roles: "本人；管辖范围内工作人员；已获授权的 bank"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			x, err := s.GetRating(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/external-scores", Summary: "录入外评（村评议小组对软性项目打分）", Tag: "credit",
		Request: ExternalInput{}, Roles: "county_admin、township_operator（管辖范围内）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ExternalInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			if err := s.SaveExternalScores(r.Context(), web.Principal(r), in); err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-records", Summary: "主体的资产与外部门记录（来源、日期）", Tag: "credit", Query: []string{"subject_id"},
		Response: web.List[Record]{}, Roles: "本人；管辖范围内工作人员；已获授权的 bank"},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			l, err := s.Records(r.Context(), web.Principal(r), sub)
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/credit-records", Summary: "登记资产或外部门记录（处罚、判决、欠缴、荣誉）；批量请用导入 credit-records", Tag: "credit",
		Request: RecordInput{}, Response: Record{}, Status: 201, Roles: "county_admin、township_operator（管辖范围内）；本人只能申报资产"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in RecordInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.AddRecord(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/peer-reviews", Summary: "会员互评：评价本期有交易的伙伴（每期每对一次）", Tag: "credit",
		Request: PeerInput{}, Response: PeerReview{}, Status: 201, Roles: "member、provider（本人）；county_admin、township_operator（代办）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in PeerInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.RatePartner(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/peer-reviews", Summary: "主体某期的互评（收到与给出）及结果（剔除互评环与最高最低分）", Tag: "credit",
		Query: []string{"subject_id", "period"}, Response: struct {
			Items  []PeerReview `json:"items"`
			Result PeerResult   `json:"result"`
		}{}, Roles: "本人；管辖范围内工作人员；已获授权的 bank"},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			period := cmpOrStr(r.URL.Query().Get("period"), s.period())
			l, res, err := s.PeerReviews(r.Context(), web.Principal(r), sub, period)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, map[string]any{"items": l, "result": res})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/credit-batches", Summary: "发起整村授信（村、乡镇或县）：后台评级、信用户、信用村、预授信额度；重跑生成新版本", Tag: "credit",
		Request: BatchInput{}, Response: Batch{}, Status: 202, Roles: "county_admin、township_operator（管辖范围内）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in BatchInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			b, err := s.StartBatch(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusAccepted, b)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-batches", Summary: "整村授信批次（各版本）", Tag: "credit", Query: []string{"region_code"},
		Response: web.List[Batch]{}, Roles: staff},
		func(w http.ResponseWriter, r *http.Request) error {
			l, err := s.ListBatches(r.Context(), web.Principal(r), r.URL.Query().Get("region_code"))
			if err != nil {
				return err
			}
			writeList(w, web.Deref(l), len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-batches/{id}", Summary: "整村授信批次", Tag: "credit", Response: Batch{}, Roles: staff},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			b, err := s.GetBatch(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, b)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-batches/{id}/rows", Summary: "批次名单：list=notice 公示（姓名脱敏）或 bank 银行名单（信用户全名与额度）",
		Tag: "credit", Query: []string{"list", "village", "credit", "page", "per_page"}, Response: web.List[BatchRow]{}, Roles: staff + "（银行名单：bank 只看向其授权的主体）"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			pg := web.ParsePage(r, 50, 1000)
			q := r.URL.Query()
			l, total, err := s.BatchRows(r.Context(), web.Principal(r), id, BatchRowFilter{List: q.Get("list"), Village: q.Get("village"), Credit: q.Get("credit"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			writeList(w, l, total, pg)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-batches/{id}/villages", Summary: "批次各村信用村评定结果", Tag: "credit", Response: web.List[BatchVillage]{}, Roles: staff},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			l, err := s.BatchVillages(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
}

// fitFromRequest reads the multipart form of a fit (csv, target, bad, name, county_code).
func (s *Service) fitFromRequest(r *http.Request) (*FitResult, error) {
	if err := canEditModels(web.Principal(r)); err != nil {
		return nil, err
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return nil, apperr.FieldErrors(map[string]string{"csv": "请以 multipart/form-data 上传 CSV 文件（≤ 32 MB）"})
	}
	f, _, err := r.FormFile("csv")
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"csv": "缺少 CSV 文件"})
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, err
	}
	target, bad := strings.TrimSpace(r.FormValue("target")), strings.TrimSpace(r.FormValue("bad"))
	if target == "" || bad == "" {
		return nil, apperr.FieldErrors(map[string]string{"target": "请填写目标列名和坏样本取值"})
	}
	data, err := scorecard.ReadCSV(bytes.NewReader(raw), target, bad)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"csv": "无法读取：" + err.Error()})
	}
	m, fit, err := s.FitModel(r.Context(), web.Principal(r), r.FormValue("name"), r.FormValue("county_code"), data)
	if err != nil {
		return nil, err
	}
	return &FitResult{Model: m, Variables: len(fit.Variables), Excluded: len(fit.Excluded), Records: fit.Records}, nil
}

// exportBatch writes a batch as .xlsx: the public notice, the bank's list (for staff) and the villages.
func (s *Service) exportBatch(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	b, err := s.GetBatch(r.Context(), p, id)
	if err != nil {
		return err
	}
	notice := tabular.Sheet{Name: "公示名单", Header: []string{"村", "姓名/名称", "等级", "得分", "信用户", "未评为信用户的原因"}}
	bank := tabular.Sheet{Name: "银行名单", Header: []string{"村", "主体编号", "姓名/名称", "等级", "得分", "预授信额度(元)"}}
	for _, list := range []string{ListNotice, ListBank} {
		for page := 1; ; page++ {
			rows, _, err := s.BatchRows(r.Context(), p, id, BatchRowFilter{List: list, Page: page, PerPage: 5000})
			if err != nil {
				return err
			}
			for _, x := range rows {
				if list == ListNotice {
					notice.Rows = append(notice.Rows, []string{x.VillageName, x.Name, x.Grade, numText(x.Score), map[bool]string{true: "是", false: "否"}[x.CreditHousehold], x.Reasons})
				} else {
					bank.Rows = append(bank.Rows, []string{x.VillageName, strconv.FormatInt(x.SubjectID, 10), x.Name, x.Grade, numText(x.Score), yuanText(x.LineFen)})
				}
			}
			if len(rows) < 5000 {
				break
			}
		}
	}
	vs, err := s.BatchVillages(r.Context(), p, id)
	if err != nil {
		return err
	}
	villages := tabular.Sheet{Name: "信用村", Header: []string{"村", "农户", "信用户", "信用户占比(%)", "有贷户", "无欠款有贷户", "贷款余额(元)", "不良余额(元)", "信用村", "原因"}}
	for _, v := range vs {
		villages.Rows = append(villages.Rows, []string{v.VillageName, strconv.Itoa(v.Households), strconv.Itoa(v.CreditHouseholds), fmt.Sprintf("%.1f", pct(v.CreditHouseholds, v.Households)),
			strconv.Itoa(v.Borrowers), strconv.Itoa(v.CleanBorrowers), yuanText(v.BalanceFen), yuanText(v.NPLFen), map[bool]string{true: "是", false: "否"}[v.CreditVillage], v.Reasons})
	}
	name := fmt.Sprintf("%s-整村授信-第%d版.xlsx", b.RegionName, b.Version)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="credit-batch.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	return tabular.WriteXLSX(w, notice, bank, villages)
}

func yuanText(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
