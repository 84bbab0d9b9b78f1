package credit

import (
	"context"
	"fmt"
	"strings"

	"nongfu/internal/platform/web"
)

// assembleMore adds to a credit file what the rating part of the room knows — the latest rating with its top
// reasons, registered assets, other departments' records, 会员互评 — and the facts of the other rooms that are
// wired (service, supply, market), each with its value, source and as-of date.
func (s *Service) assembleMore(ctx context.Context, subjectID int64, add func(group, key, label, value, source, asOf string), today string) error {
	recs, err := s.records(ctx, subjectID)
	if err != nil {
		return err
	}
	for _, r := range recs {
		group := "外部门记录"
		if categoryGroup(r.Category) == "asset" {
			group = "资产与经营"
		}
		v := r.Title
		if r.Quantity > 0 {
			v += fmt.Sprintf("，%s %s", numText(r.Quantity), r.Unit)
		}
		if r.AmountFen > 0 {
			v += "，" + web.FormatFen(r.AmountFen)
		}
		add(group, "record."+r.Category, r.CategoryLabel, v, r.Source, r.Date)
	}
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return err
	}
	peer, err := s.peerScores(ctx, s.db, sub.RegionCode, s.period())
	if err != nil {
		return err
	}
	if r, ok := peer[subjectID]; ok {
		add("会员互评", "peer", s.period()+" 年度互评", fmt.Sprintf("%s 分（计入 %d 条，剔除互评环 %d 条、最高最低 %d 条）", numText(r.Score), r.Count, r.Ringed, r.Trimmed), "会员互评", today)
	} else {
		add("会员互评", "peer", s.period()+" 年度互评", "本年度尚无互评", "会员互评", today)
	}
	for _, src := range s.Facts {
		facts, err := src.SubjectFacts(ctx, subjectID)
		if err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		for _, f := range facts {
			add("交易与服务", f.Key, f.Name, f.Value, f.Source, FormatDate(f.AsOf.In(web.Shanghai)))
		}
	}
	r, err := s.LatestRating(ctx, subjectID)
	if err != nil {
		return err
	}
	if r == nil {
		add("信用评级", "rating", "信用等级", "尚未评级", "信用评级", today)
		return nil
	}
	asOf := FormatDate(r.RatedAt.In(web.Shanghai))
	src := fmt.Sprintf("评级模型第 %d 版", r.ModelVersion)
	v := fmt.Sprintf("%s 级，%s 分", r.Grade, numText(r.Score))
	if r.External != nil {
		v += fmt.Sprintf("（内评 %s，外评 %s）", numText(r.Internal), numText(*r.External))
	}
	add("信用评级", "rating", "信用等级", v, src, asOf)
	if r.Result != nil && len(r.Result.Reasons) > 0 {
		add("信用评级", "rating_reasons", "主要失分原因", strings.Join(r.Result.Reasons, "；"), src, asOf)
	}
	return nil
}
