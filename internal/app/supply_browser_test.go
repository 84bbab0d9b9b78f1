package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
)

// TestBrowserSupplyFlow walks a pooling round through the screens: open it, enter two members' demand, close it
// into a purchase order, receive, allocate, route the deliveries (background solve, map), record every stop,
// hand the goods over with signatures, and read a balanced reconciliation.
func TestBrowserSupplyFlow(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 120)
	// the whole walk shares one browser: a longer budget than newBrowser's 90 s, for a loaded machine
	ctx, cancel := longBrowser(t, 1280, 900, 5*time.Minute)
	defer cancel()
	bg := context.Background()
	var hub, town1, town2, goods int64
	q := func(sql string, dst *int64, args ...any) {
		t.Helper()
		if err := s.DB.QueryRowContext(bg, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`SELECT id FROM supply_nodes WHERE kind = 'pooling_center' ORDER BY id LIMIT 1`, &hub)
	q(`SELECT id FROM supply_nodes WHERE kind = 'township_node' ORDER BY region_code LIMIT 1`, &town1)
	q(`SELECT id FROM supply_nodes WHERE kind = 'township_node' ORDER BY region_code LIMIT 1 OFFSET 3`, &town2)
	q(`SELECT id FROM supply_goods WHERE name = '尿素'`, &goods)
	var hh []int64
	for _, tw := range s.Demo.Townships {
		hh = append(hh, s.Demo.HouseholdsByTownship[tw]...)
	}
	today := time.Now().In(web.Shanghai).Format("2006-01-02")
	setJS := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
			return err
		})
	}
	var body string
	run(t, ctx, "open a round",
		login(s.URL, "county_admin"),
		chromedp.Navigate(s.URL+"/supply/pools"),
		chromedp.WaitVisible(`#create`),
		shot("supply-01-pools"),
		chromedp.SendKeys(`#name`, "浏览器集采尿素"),
		chromedp.SetValue(`#hub_node_id`, fmt.Sprint(hub)),
		chromedp.SetValue(`#closes_on`, today),
		setJS(fmt.Sprintf(`for (const o of document.getElementById('node_ids').options) o.selected = (o.value == '%d' || o.value == '%d')`, town1, town2)),
		chromedp.SetValue(`#goods_0`, fmt.Sprint(goods)),
		chromedp.SendKeys(`#supplier_0`, "重庆化肥公司"),
		chromedp.SendKeys(`#price_0`, "130"),
		chromedp.SendKeys(`#tiers_0`, "10:120,30:115"),
		chromedp.Click(`#create button[type=submit]`),
		chromedp.WaitVisible(`#demand`),
		into(chromedp.Text(`main`), &body),
	)
	if !strings.Contains(body, "集采批次已发起：浏览器集采尿素") {
		t.Fatalf("after create: %.300s", body)
	}
	pool := int64(0)
	q(`SELECT id FROM supply_pools WHERE name = '浏览器集采尿素'`, &pool)
	poolURL := fmt.Sprintf("%s/supply/pools/%d", s.URL, pool)
	for i, qty := range []string{"12", "7"} {
		node := town1
		if i == 1 {
			node = town2
		}
		run(t, ctx, "demand "+qty,
			chromedp.Navigate(poolURL),
			chromedp.WaitVisible(`#demand`),
			chromedp.SetValue(`#node_id`, fmt.Sprint(node)),
			chromedp.SendKeys(`#subject_id`, fmt.Sprint(hh[i])),
			chromedp.SendKeys(`#qty`, qty),
			chromedp.Click(`#demand button[type=submit]`),
			chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "需求已登记")]`),
		)
	}
	run(t, ctx, "close, receive, allocate",
		shot("supply-02-pool-open"),
		chromedp.Click(`#actions button[type=submit]`),
		chromedp.WaitVisible(`#orders`),
		into(chromedp.Text(`#orders`), &body),
	)
	// 19 bags reach the 10-bag tier: 19 × 120 = 2,280 元, saving 19 × 10 = 190 元
	if !strings.Contains(body, "2,280.00") || !strings.Contains(body, "节约 190.00") {
		t.Fatalf("order: %q", body)
	}
	run(t, ctx, "receive and allocate",
		chromedp.Click(`#orders button[type=submit]`),
		chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "已到货入库")]`),
		chromedp.Click(`#actions button[type=submit]`),
		chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "配送单已生成")]`),
		shot("supply-03-allocated"),
	)
	run(t, ctx, "route the day",
		chromedp.Navigate(fmt.Sprintf("%s/supply/routes?node=%d&date=%s", s.URL, hub, today)),
		chromedp.WaitVisible(`#plan`),
		shot("supply-04-routes"),
		chromedp.SetValue(`#vehicles`, "2"),
		chromedp.SetValue(`#seconds`, "1"),
		chromedp.SendKeys(`#drivers`, "王师傅"),
		chromedp.Click(`#plan button[type=submit]`),
		chromedp.WaitVisible(`svg.route-map`),
		shot("supply-05-plan"),
		into(chromedp.Text(`main`), &body),
	)
	if !strings.Contains(body, "王师傅") || !strings.Contains(body, "打印跑单") {
		t.Fatalf("plan page: %.400s", body)
	}
	planURL := ""
	run(t, ctx, "plan url", into(chromedp.Location(), &planURL))
	for i := 0; i < 10; i++ {
		var n int
		// reload first, so the flash waited for is the one this click produces
		run(t, ctx, "count stops", chromedp.Navigate(planURL), chromedp.WaitVisible(`svg.route-map`),
			into(chromedp.Evaluate[int](`document.querySelectorAll('button[value=done]').length`), &n))
		if n == 0 {
			break
		}
		// a script click: a mouse click at the button's coordinates can land on the sticky top bar
		run(t, ctx, "record a stop",
			setJS(`document.querySelector('button[value=done]').click(); true`),
			chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "已登记")]`),
		)
	}
	run(t, ctx, "hand over",
		chromedp.Navigate(fmt.Sprintf("%s/supply/pools/%d", s.URL, pool)),
		chromedp.WaitVisible(`#demands`),
	)
	for i := 0; i < 5; i++ {
		var n int
		run(t, ctx, "count hand-overs", into(chromedp.Evaluate[int](`document.querySelectorAll('#demands form button').length`), &n))
		if n == 0 {
			break
		}
		run(t, ctx, "hand one over",
			setJS(`document.querySelector('#demands form button').click(); true`),
			chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "签收单")]`),
		)
	}
	run(t, ctx, "reconciliation",
		chromedp.WaitVisible(`#recon`),
		into(chromedp.Text(`#recon`), &body),
		shot("supply-06-reconciled"),
	)
	if !strings.Contains(body, "账平") || !strings.Contains(body, "每户需求已交付或记短缺") {
		t.Fatalf("reconciliation: %q", body)
	}
	var handed int64
	q(`SELECT COALESCE(SUM(handed), 0) FROM supply_pool_demands WHERE pool_id = ?`, &handed, pool)
	if handed != 19 {
		t.Errorf("handed %d of 19", handed)
	}
	// the phone
	pctx, pcancel := longBrowser(t, 390, 844, 2*time.Minute)
	defer pcancel()
	var overflow bool
	run(t, pctx, "phone",
		login(s.URL, "county_admin"),
		chromedp.Navigate(poolURL),
		chromedp.WaitVisible(`#recon`),
		shot("supply-07-pool-phone"),
		chromedp.Navigate(s.URL+"/supply/prices"),
		chromedp.WaitVisible(`#report`),
		shot("supply-08-prices-phone"),
		into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
	)
	if overflow {
		t.Error("the price page scrolls sideways at 390 px")
	}
}

// longBrowser is newBrowser with a time budget of its own.
func longBrowser(t *testing.T, width, height int, budget time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, budget)
	// start the browser on this context now: if the first step's (possibly shorter-lived) context allocated it, the
	// browser would end with that step
	if err := chromedp.Do(ctx); err != nil {
		cancelC()
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, func() { cancelC(); cancelB(); cancelA() }
}
