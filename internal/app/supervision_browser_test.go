package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
)

func logout() chromedp.Action[chromedp.Void] {
	var ignored any
	return chromedp.Steps(into(chromedp.Evaluate[any](`document.querySelector('form[action="/logout"]').submit()`), &ignored), chromedp.WaitVisible(`#username`))
}

// TestSupervisionBrowserFlow: on a phone, the responsible unit (县农业农村委) files a report on its lagging task →
// the status changes to 推进中 → the task force issues a 督办 notice → the unit answers it.
func TestSupervisionBrowserFlow(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	tok := s.Token("viewer", demo.DemoPassword)
	var tasks []supTask
	s.Call(tok, "GET", "/api/v1/supervision/tasks", nil, &tasks)
	var lag supTask
	for _, x := range tasks {
		if x.No == 4 {
			lag = x
		}
	}
	if lag.Status.Code != "lagging" {
		t.Fatalf("demo task 4 should be lagging: %+v", lag.Status)
	}
	page := fmt.Sprintf("%s/supervision/tasks/%d", s.URL, lag.ID)
	ctx, cancel := newBrowser(t, 390, 844)
	defer cancel()
	var before, after, flash, noticeURL, state string
	var overflow bool
	run(t, ctx, "unit files a report",
		login(s.URL, "department"),
		chromedp.Navigate(page),
		chromedp.WaitVisible(`#narrative`),
		into(chromedp.Text(`h1 .badge`), &before),
		into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
		shot("sup-phone-01-lagging-task"),
		chromedp.SendKeys(`#narrative`, "补报近四个月进展：已为32家农民合作社和18个村集体经济组织提供统一财务代账服务。"),
		chromedp.SetValue(`#progress_pct`, "80"),
		chromedp.SendKeys(`input[name=figure_name]`, "代账合作社"),
		chromedp.SendKeys(`input[name=figure_value]`, "32"),
		chromedp.Click(`#report button[type=submit]`),
		chromedp.WaitVisible(`.flash`),
		into(chromedp.Text(`.flash`), &flash),
		into(chromedp.Text(`h1 .badge`), &after),
		shot("sup-phone-02-reported"),
		logout(),
	)
	if overflow {
		t.Error("the task page scrolls sideways on a phone")
	}
	if before != "滞后" || after != "推进中" || !strings.Contains(flash, "已报送") {
		t.Fatalf("status %q → %q, flash %q", before, after, flash)
	}
	run(t, ctx, "task force issues a notice",
		login(s.URL, "taskforce"),
		chromedp.Navigate(page),
		chromedp.WaitVisible(`#body`),
		chromedp.SendKeys(`#body`, "请于期限内报送统一财务代账服务覆盖率及下一步措施。"),
		chromedp.Click(`#notice button[type=submit]`),
		chromedp.WaitVisible(`.flash`),
		into(chromedp.Text(`.flash`), &flash),
		shot("sup-phone-03-notice-issued"),
		logout(),
	)
	if !strings.Contains(flash, "已下发督办") {
		t.Fatalf("issue flash %q", flash)
	}
	no := strings.TrimPrefix(flash, "已下发")
	run(t, ctx, "unit answers",
		login(s.URL, "department"),
		chromedp.Navigate(s.URL+"/supervision/notices?state=open"),
		chromedp.WaitReady(`main`),
		into(chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelectorAll('main table a')).find(a => a.textContent.trim() === %q).getAttribute('href')`, no)), &noticeURL),
		chromedp.Navigate(s.URL+"/supervision/notices?state=open"),
		chromedp.WaitReady(`main`),
		shot("sup-phone-04-notices"),
	)
	run(t, ctx, "answer "+noticeURL,
		chromedp.Navigate(s.URL+noticeURL),
		chromedp.WaitVisible(`#answer`),
		chromedp.SendKeys(`#answer`, "已完成覆盖率统计：合作社代账覆盖率61%，年底前达到80%。"),
		chromedp.Click(`main form button[type=submit]`),
		chromedp.WaitVisible(`.flash`),
		into(chromedp.Text(`h1 .badge`), &state),
		shot("sup-phone-05-answered"),
	)
	if state != "已答复" {
		t.Fatalf("notice state after answer: %q", state)
	}
}

// TestSupervisionScreens: every supervision page for the task force opens at phone and desktop width without
// scrolling sideways (screenshots with NONGFU_SCREENSHOTS).
func TestSupervisionScreens(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	tok := s.Token("viewer", demo.DemoPassword)
	var tasks []supTask
	s.Call(tok, "GET", "/api/v1/supervision/tasks", nil, &tasks)
	var funds []struct{ ID int64 }
	s.Call(tok, "GET", "/api/v1/supervision/funds", nil, &funds)
	var notices []struct{ ID int64 }
	s.Call(tok, "GET", "/api/v1/supervision/notices", nil, &notices)
	if len(funds) == 0 || len(notices) == 0 {
		t.Fatalf("demo funds %d notices %d", len(funds), len(notices))
	}
	pages := []string{"/supervision", fmt.Sprintf("/supervision/tasks/%d", tasks[3].ID), fmt.Sprintf("/supervision/tasks/%d/edit", tasks[3].ID),
		"/supervision/notices", fmt.Sprintf("/supervision/notices/%d", notices[0].ID), "/supervision/weekly", "/supervision/weekly/print",
		"/supervision/funds", fmt.Sprintf("/supervision/funds/%d", funds[0].ID), "/supervision/plan", "/supervision/units", "/"}
	var items []struct{ ID int64 }
	s.Call(tok, "GET", "/api/v1/supervision/items?kind=work", nil, &items)
	pages = append(pages, fmt.Sprintf("/supervision/items/%d/edit", items[0].ID))
	for _, width := range []int{390, 1280} {
		ctx, cancel := newBrowser(t, width, 844)
		device := map[bool]string{true: "phone", false: "desk"}[width < 800]
		run(t, ctx, "login", login(s.URL, "taskforce"))
		for i, p := range pages {
			var title string
			var overflow bool
			run(t, ctx, p,
				chromedp.Navigate(s.URL+p),
				chromedp.WaitReady(`body`),
				into(chromedp.Title(), &title),
				into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
				shot(fmt.Sprintf("sup-%s-%02d%s", device, i+10, strings.ReplaceAll(strings.Split(p, "?")[0], "/", "_"))),
			)
			if strings.HasPrefix(title, "出错了") {
				t.Errorf("%s shows an error page", p)
			}
			if overflow {
				t.Errorf("%s scrolls sideways at width %d", p, width)
			}
		}
		cancel()
	}
}
