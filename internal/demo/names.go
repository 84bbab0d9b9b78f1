package demo

// Word lists for the synthetic people, places and organisations. Everything here is made up; any likeness to a
// real person or company is chance.

// surnames are weighted roughly by national frequency, with the families common in 巫山 (向、冉、谭、邓、
// 牟、税、田) raised.
var surnames = []weighted[string]{
	{"王", 70}, {"李", 70}, {"张", 65}, {"刘", 55}, {"陈", 50}, {"杨", 40}, {"向", 45}, {"谭", 35},
	{"冉", 30}, {"邓", 30}, {"黄", 25}, {"赵", 20}, {"吴", 20}, {"周", 20}, {"徐", 15}, {"孙", 12},
	{"马", 12}, {"朱", 12}, {"胡", 13}, {"郭", 10}, {"何", 15}, {"林", 8}, {"罗", 15}, {"高", 10},
	{"唐", 15}, {"曾", 10}, {"彭", 12}, {"蒋", 8}, {"余", 12}, {"袁", 10}, {"田", 15}, {"税", 6},
	{"龚", 8}, {"程", 7}, {"付", 9}, {"熊", 8}, {"秦", 8}, {"舒", 6}, {"廖", 7}, {"肖", 10},
	{"杜", 8}, {"毛", 6}, {"苏", 5}, {"卢", 5}, {"贺", 6}, {"柳", 5}, {"牟", 8}, {"陶", 5},
	{"姚", 5}, {"邹", 6}, {"雷", 6}, {"蒲", 6}, {"游", 4}, {"聂", 4}, {"万", 5}, {"夏", 5},
	{"屈", 4}, {"伍", 5}, {"汪", 6}, {"蔡", 5}, {"方", 5}, {"闫", 3},
}

// Given-name characters by generation and gender.
var (
	givenOldMale     = []rune("德明国华建军平昌富贵春林成祥兴发福全安文武友清金银荣元洪忠志顺海松山中学树光才远生朝双章云")
	givenOldFemale   = []rune("秀英兰芳翠桂珍琼梅玉凤莲香菊群华琴萍素淑蓉霞春美芬碧红艳丽")
	givenMidMale     = []rune("伟勇军斌涛强鹏辉刚波杰峰磊林超明亮健飞平江川东毅俊洪兵川龙")
	givenMidFemale   = []rune("丽燕敏静艳娟霞玲梅琳芳慧婷莉红英萍琼倩丹雪蓉利")
	givenYoungMale   = []rune("浩宇子轩涛杰鑫博文睿俊晨阳泽航然凯豪嘉铭一奕")
	givenYoungFemale = []rune("欣怡雨涵梓诗佳琪萱婷悦思可馨雪瑶彤钰晴妍")
)

// plotNames are field names as villagers call them; a household's plots get distinct ones.
var plotNames = []string{
	"屋后坡地", "河坝田", "老屋基", "堰塘湾", "门前田", "大坪地", "半坡地", "岩脚下", "沟边地", "梁子上",
	"水井湾", "槽头田", "垭口地", "竹林湾", "新开地", "对门坡", "长岭岗", "石板田", "干田坎", "桐子坪",
	"大湾地", "阴坡地", "阳坡地", "庙儿梁", "核桃坪", "李子湾", "柑子园", "茶园坡", "松林包", "烟地坪",
}

// lucky are words used in made-up organisation names.
var lucky = []string{
	"丰收", "兴旺", "绿源", "金果", "红叶", "云雾", "神女", "巫峡", "峡江", "山里红", "鑫农", "众鑫", "富民",
	"致富", "惠农", "祥和", "恒丰", "青山", "绿野", "硕果", "春晖", "高山", "云台", "瑞丰", "宏发", "满园",
	"翠峰", "兴农", "金穗", "田园", "山花", "大宁河", "朝阳", "林海", "清泉", "福源",
}

// industryWeights are the county's industries for households (percent).
var industryWeights = []weighted[string]{
	{"脆李", 30}, {"柑橘", 20}, {"中药材", 20}, {"核桃", 8}, {"烤烟", 6}, {"粮油", 10}, {"蔬菜", 3}, {"畜禽", 3},
}

// Township character: along the Yangtze and the 大宁河 citrus grows; in the high mountains tobacco, herbs and
// walnuts do. The multipliers are chosen so the county totals stay near industryWeights.
var (
	riverTownships = map[string]bool{"巫峡镇": true, "曲尺乡": true, "大溪乡": true, "培石乡": true, "抱龙镇": true,
		"两坪乡": true, "建平乡": true, "龙门街道": true, "高唐街道": true, "双龙镇": true}
	highTownships = map[string]bool{"官阳镇": true, "当阳乡": true, "平河乡": true, "竹贤乡": true, "红椿土家族乡": true,
		"邓家土家族乡": true, "笃坪乡": true, "骡坪镇": true, "三溪乡": true, "金坪乡": true}
	riverBias = map[string]float64{"柑橘": 2.3, "烤烟": 0.05, "中药材": 0.5, "脆李": 1.15, "核桃": 0.6}
	highBias  = map[string]float64{"柑橘": 0.1, "烤烟": 2.4, "中药材": 1.6, "脆李": 0.75, "核桃": 1.5}
)

// livestock names the animal of a 畜禽 cooperative.
var livestock = []string{"生猪", "山羊", "土鸡", "中蜂", "肉牛"}

// enterpriseNames are the made-up agricultural companies, used in order.
var enterpriseNames = []struct{ name, industry string }{
	{"巫山县三峡果业有限公司", "脆李"},
	{"巫山县神女峰农业开发有限公司", "柑橘"},
	{"巫山县渝东中药材有限公司", "中药材"},
	{"巫山县峡江柑橘产业有限公司", "柑橘"},
	{"巫山县云雨茶业有限责任公司", "茶叶"},
	{"巫山县绿源生态农业科技有限公司", "蔬菜"},
	{"巫山县大宁河农产品冷链物流有限公司", "脆李"},
	{"巫山县丰谷粮油有限公司", "粮油"},
	{"巫山县山里红畜禽养殖有限公司", "畜禽"},
	{"巫山县金果电子商务有限公司", "脆李"},
	{"巫山县高山核桃产业发展有限公司", "核桃"},
	{"巫山县翠峰食用菌有限公司", "食用菌"},
}
