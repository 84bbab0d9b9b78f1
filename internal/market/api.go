package market

import (
	"net/http"
	"strconv"

	"nongfu/internal/platform/web"
)

const (
	readRoles   = "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；member（本县挂牌中的信息和本主体的信息）"
	postRoles   = "member（本主体）；county_admin、township_operator（代发，主体在管辖范围内）"
	staffRoles  = "county_admin、township_operator（管辖范围内）"
	partyRoles  = "member（合同一方）；county_admin、township_operator（卖方在管辖范围内）"
	brandRoles  = "读：所有业务角色；登记：county_admin"
	publicNote  = "公开，无需登录；不含个人信息"
	defaultPage = 50
)

func int64Param(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return v
}

func all[T any](items []*T) web.List[T] {
	return web.List[T]{Items: web.Deref(items), Total: len(items), Page: 1, PerPage: max(len(items), 1)}
}

// body decodes a JSON request, calls fn and writes its result with status.
func body[In any, Out any](status int, fn func(r *http.Request, in In) (Out, error)) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if r.ContentLength != 0 {
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
		}
		out, err := fn(r, in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, status, out)
		return nil
	}
}

func withID[In any, Out any](status int, fn func(r *http.Request, id int64, in In) (Out, error)) web.HandlerFunc {
	return body(status, func(r *http.Request, in In) (Out, error) {
		id, err := web.PathID(r, "id")
		if err != nil {
			var zero Out
			return zero, err
		}
		return fn(r, id, in)
	})
}

type none struct{}

// CandidateList is the answer of the matcher endpoint.
type CandidateList struct {
	Listing    Listing     `json:"listing"`
	Candidates []Candidate `json:"candidates"`
}

func listingFilter(r *http.Request, pg web.PageReq) ListingFilter {
	q := r.URL.Query()
	return ListingFilter{Side: q.Get("side"), Status: q.Get("status"), Product: q.Get("product"), Grade: q.Get("grade"), Region: q.Get("region"),
		Q: q.Get("q"), SubjectID: int64Param(r, "subject_id"), BrandID: int64Param(r, "brand_id"), Page: pg.Page, PerPage: pg.PerPage}
}

func (s *Service) apiRoutes(srv *web.Server) {
	const tag = "market"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/listings", Summary: "供求信息（供应、求购）", Tag: tag,
		Query: []string{"side", "status", "product", "grade", "region", "q", "subject_id", "brand_id", "page", "per_page"}, Response: web.List[Listing]{},
		Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, defaultPage, 500)
		items, total, err := s.ListListings(r.Context(), web.Principal(r), listingFilter(r, pg))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/listings", Summary: "发布供求信息（工作人员发布即为代发）", Tag: tag, Request: ListingInput{},
		Response: Listing{}, Status: 201, Roles: postRoles}, body(201, func(r *http.Request, in ListingInput) (*Listing, error) {
		return s.CreateListing(r.Context(), web.Principal(r), in)
	}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/listings/{id}", Summary: "供求信息详情", Tag: tag, Response: Listing{}, Roles: readRoles},
		withID(200, func(r *http.Request, id int64, _ none) (*Listing, error) {
			return s.GetListing(r.Context(), web.Principal(r), id)
		}))
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/market/listings/{id}", Summary: "修改供求信息（整体替换；status=closed 下架）", Tag: tag,
		Request: ListingInput{}, Response: Listing{}, Roles: postRoles},
		withID(200, func(r *http.Request, id int64, in ListingInput) (*Listing, error) {
			return s.UpdateListing(r.Context(), web.Principal(r), id, in)
		}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/listings/{id}/matches", Summary: "智能匹配：为一条供求信息排序对手方，逐项说明得分", Tag: tag,
		Query: []string{"limit"}, Response: CandidateList{}, Roles: readRoles + "；member 只能匹配本主体的信息"},
		withID(200, func(r *http.Request, id int64, _ none) (CandidateList, error) {
			limit := int(int64Param(r, "limit"))
			if limit <= 0 || limit > 100 {
				limit = 20
			}
			l, c, err := s.Candidates(r.Context(), web.Principal(r), id, limit)
			if err != nil {
				return CandidateList{}, err
			}
			if c == nil {
				c = []Candidate{}
			}
			return CandidateList{Listing: *l, Candidates: c}, nil
		}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/buyers", Summary: "采购商（商超、批发商、电商平台、食堂等）", Tag: tag, Response: web.List[Buyer]{},
		Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		items, err := s.ListBuyers(r.Context(), web.Principal(r), 0)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, all(items))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/buyers", Summary: "登记采购商（主体须已在主体登记中登记）", Tag: tag, Request: BuyerInput{},
		Response: Buyer{}, Status: 201, Roles: staffRoles}, body(201, func(r *http.Request, in BuyerInput) (*Buyer, error) {
		return s.RegisterBuyer(r.Context(), web.Principal(r), in)
	}))
	// contracts
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/contracts", Summary: "订单农业合同", Tag: tag, Query: []string{"status", "subject_id", "q", "page", "per_page"},
		Response: web.List[OrderContract]{}, Roles: "county_admin、township_operator、department、taskforce、viewer（买方或卖方在管辖范围内）；member（合同一方）"},
		func(w http.ResponseWriter, r *http.Request) error {
			pg := web.ParsePage(r, defaultPage, 500)
			q := r.URL.Query()
			items, total, err := s.ListContracts(r.Context(), web.Principal(r), ContractFilter{Status: q.Get("status"), Q: q.Get("q"),
				SubjectID: int64Param(r, "subject_id"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/contracts", Summary: "由一对供求信息起草订单合同（待双方签字）", Tag: tag, Request: ContractInput{},
		Response: OrderContract{}, Status: 201, Roles: "member（供应或求购一方）；county_admin、township_operator（卖方在管辖范围内）"},
		body(201, func(r *http.Request, in ContractInput) (*OrderContract, error) {
			return s.DraftContract(r.Context(), web.Principal(r), in)
		}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/contracts/{id}", Summary: "订单合同详情（交货计划、补充协议、履约记录、应收）", Tag: tag,
		Response: OrderContract{}, Roles: partyRoles + "；department、taskforce、viewer 只读"},
		withID(200, func(r *http.Request, id int64, _ none) (*OrderContract, error) {
			return s.GetContract(r.Context(), web.Principal(r), id)
		}))
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/market/contracts/{id}", Summary: "修改待签合同的条款（签订后拒绝，409）", Tag: tag, Request: ContractInput{},
		Response: OrderContract{}, Roles: partyRoles}, withID(200, func(r *http.Request, id int64, in ContractInput) (*OrderContract, error) {
		return s.UpdateDraft(r.Context(), web.Principal(r), id, in)
	}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/contracts/{id}/sign", Summary: "签字（会员签本方；工作人员录入纸质签字，须写明 side）", Tag: tag,
		Request: SignInput{}, Response: OrderContract{}, Roles: partyRoles}, withID(200, func(r *http.Request, id int64, in SignInput) (*OrderContract, error) {
		return s.Sign(r.Context(), web.Principal(r), id, in.Side)
	}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/contracts/{id}/cancel", Summary: "作废待签合同", Tag: tag, Response: OrderContract{}, Roles: partyRoles},
		withID(200, func(r *http.Request, id int64, _ none) (*OrderContract, error) {
			return s.Cancel(r.Context(), web.Principal(r), id)
		}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/contracts/{id}/supplements", Summary: "补充协议（已签合同只能以补充协议变更）", Tag: tag,
		Request: SupplementInput{}, Response: OrderContract{}, Status: 201, Roles: partyRoles},
		withID(201, func(r *http.Request, id int64, in SupplementInput) (*OrderContract, error) {
			return s.AddSupplement(r.Context(), web.Principal(r), id, in)
		}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/contracts/{id}/fulfilments", Summary: "登记交付、验收、付款（卖方交付，买方验收和付款）", Tag: tag,
		Request: FulfilmentInput{}, Response: OrderContract{}, Status: 201, Roles: partyRoles},
		withID(201, func(r *http.Request, id int64, in FulfilmentInput) (*OrderContract, error) {
			return s.Fulfil(r.Context(), web.Principal(r), id, in)
		}))
	// brands
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/brands", Summary: "区域公用品牌及其标准、授权主体数", Tag: tag, Response: web.List[Brand]{}, Roles: brandRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			items, err := s.ListBrands(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, all(items))
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/brands", Summary: "登记品牌", Tag: tag, Request: BrandInput{}, Response: Brand{}, Status: 201,
		Roles: "county_admin"}, body(201, func(r *http.Request, in BrandInput) (*Brand, error) {
		return s.CreateBrand(r.Context(), web.Principal(r), in)
	}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/brands/{id}/authorisations", Summary: "品牌授权主体", Tag: tag, Response: web.List[Authorisation]{},
		Roles: "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；member（本主体）"},
		withID(200, func(r *http.Request, id int64, _ none) (web.List[Authorisation], error) {
			items, err := s.ListAuths(r.Context(), web.Principal(r), id)
			return all(items), err
		}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/brands/{id}/authorisations", Summary: "授权主体使用品牌（品名、授权期、产量上限）", Tag: tag,
		Request: AuthInput{}, Response: Authorisation{}, Status: 201, Roles: staffRoles},
		withID(201, func(r *http.Request, id int64, in AuthInput) (*Authorisation, error) {
			return s.Authorise(r.Context(), web.Principal(r), id, in)
		}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/authorisations/{id}/revoke", Summary: "撤销品牌授权", Tag: tag, Response: Authorisation{}, Roles: staffRoles},
		withID(200, func(r *http.Request, id int64, _ none) (*Authorisation, error) {
			return s.Revoke(r.Context(), web.Principal(r), id)
		}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/authorisations/{id}/batches", Summary: "授权下已赋码的批次", Tag: tag, Response: web.List[Batch]{},
		Roles: "member（本主体）；county_admin、township_operator、department、taskforce、viewer（管辖范围内）"},
		withID(200, func(r *http.Request, id int64, _ none) (web.List[Batch], error) {
			items, err := s.ListBatches(r.Context(), web.Principal(r), id)
			return all(items), err
		}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/authorisations/{id}/batches", Summary: "批次赋码（不超过授权产量）", Tag: tag, Request: BatchInput{},
		Response: Batch{}, Status: 201, Roles: "member（本主体的授权）；county_admin、township_operator（管辖范围内）"},
		withID(201, func(r *http.Request, id int64, in BatchInput) (*Batch, error) {
			return s.IssueBatch(r.Context(), web.Principal(r), id, in)
		}))
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/public/batches/{code}", Summary: "批次码公开查询（扫码溯源）", Tag: tag, Response: PublicBatch{}, Public: true,
		Roles: publicNote}, func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.LookupBatch(r.Context(), r.PathValue("code"))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, b)
		return nil
	})
	// events
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/market/events", Summary: "营销活动（展示展销、节庆、直播）及参与主体销售额", Tag: tag, Response: web.List[Event]{},
		Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		items, err := s.ListEvents(r.Context(), web.Principal(r))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, all(items))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/events", Summary: "登记营销活动", Tag: tag, Request: EventInput{}, Response: Event{}, Status: 201,
		Roles: staffRoles}, body(201, func(r *http.Request, in EventInput) (*Event, error) {
		return s.CreateEvent(r.Context(), web.Principal(r), in)
	}))
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/market/events/{id}/sales", Summary: "登记参与主体的销量和销售额（重复登记即替换）", Tag: tag,
		Request: SaleInput{}, Response: Event{}, Roles: staffRoles},
		withID(200, func(r *http.Request, id int64, in SaleInput) (*Event, error) {
			return s.RecordSale(r.Context(), web.Principal(r), id, in)
		}))
}
