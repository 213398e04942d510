package format

import (
	"github.com/gapmap/gapmap/data"
)

// This file is the one place where columns, their Vietnamese aliases and the
// accepted spellings of enumerated values are listed. Headers and values are
// compared after normKey (case, NFC, spacing, underscores) and, failing
// that, after foldKey (accents removed), so "Ma truong", "MÃ TRƯỜNG" and
// "mã_trường" all mean school_id. A header with a unit in parentheses,
// "Băng tần (MHz)", matches on the part before the parenthesis too.

// column is one column of a table kind.
type column struct {
	name     string   // canonical English name, written by the writers
	required bool     // the column must be present and every row must fill it
	aliases  []string // other accepted headers, Vietnamese first
}

// Columns shared by several kinds.

func latColumn() column {
	return column{name: "lat", required: true, aliases: []string{"vĩ độ", "latitude", "vido", "lat (vĩ độ)", "toạ độ vĩ độ"}}
}

func lonColumn() column {
	return column{name: "lon", required: true, aliases: []string{"kinh độ", "longitude", "lng", "long", "kinhdo", "toạ độ kinh độ"}}
}

func areaColumn() column {
	return column{name: "area_code", aliases: []string{"mã xã", "mã đơn vị hành chính", "mã địa bàn", "mã đvhc", "ma_dvhc",
		"mã phường xã", "mã xã phường", "mã xã/phường", "mã khu vực", "commune_code", "area", "area code"}}
}

// holderSchoolColumn: the school holding a device or SIM package ("hiện
// vật do các cơ sở giáo dục tiếp nhận trực tiếp thì được để lại tại đơn
// vị"); empty when an area holds it.
func holderSchoolColumn() column {
	return column{name: "school_id", aliases: []string{"mã trường", "mã cơ sở giáo dục", "mã csgd", "trường tiếp nhận", "đơn vị tiếp nhận", "school id", "held by school"}}
}

// Schools.
const (
	scID = iota
	scName
	scLevel
	scLat
	scLon
	scArea
	scStudents
	scInternet
	scN
)

func schoolColumns() []column {
	c := make([]column, scN)
	c[scID] = column{name: "school_id", required: true, aliases: []string{"mã trường", "mã cơ sở giáo dục", "mã csgd", "school id", "id"}}
	c[scName] = column{name: "name", required: true, aliases: []string{"tên trường", "tên", "tên cơ sở giáo dục", "school name", "school_name"}}
	c[scLevel] = column{name: "level", required: true, aliases: []string{"cấp học", "cấp", "bậc học", "loại trường", "school level"}}
	c[scLat] = latColumn()
	c[scLon] = lonColumn()
	c[scArea] = areaColumn()
	c[scStudents] = column{name: "students", aliases: []string{"số học sinh", "sĩ số", "tổng số học sinh", "số hs", "học sinh", "enrolment", "enrollment"}}
	c[scInternet] = column{name: "internet", aliases: []string{"kết nối", "kết nối internet", "loại kết nối", "đường truyền", "connectivity"}}
	return c
}

// Households.
const (
	hhID = iota
	hhLat
	hhLon
	hhArea
	hhPrecision
	hhPoverty
	hhMembers
	hhN
)

func householdColumns() []column {
	c := make([]column, hhN)
	c[hhID] = column{name: "household_id", required: true, aliases: []string{"mã hộ", "mã hộ gia đình", "mã hgđ", "household id", "id"}}
	c[hhLat] = latColumn()
	c[hhLon] = lonColumn()
	c[hhArea] = areaColumn()
	c[hhPrecision] = column{name: "location_precision", aliases: []string{"độ chính xác", "độ chính xác vị trí", "precision"}}
	c[hhPoverty] = column{name: "poverty", aliases: []string{"hộ nghèo", "diện hộ", "phân loại hộ", "hộ nghèo cận nghèo", "poverty status"}}
	c[hhMembers] = column{name: "members", aliases: []string{"số nhân khẩu", "nhân khẩu", "số người", "số thành viên", "household size"}}
	return c
}

// Students.
const (
	stID = iota
	stHousehold
	stSchool
	stGrade
	stPriority
	stHasDevice
	stCovidOrphan
	stFullName
	stBirthDate
	stN
)

func studentColumns() []column {
	c := make([]column, stN)
	c[stID] = column{name: "student_id", required: true, aliases: []string{"mã học sinh", "mã hs", "mã định danh", "mã định danh học sinh", "student id", "id"}}
	c[stHousehold] = column{name: "household_id", required: true, aliases: []string{"mã hộ", "mã hộ gia đình", "mã hgđ", "household id"}}
	c[stSchool] = column{name: "school_id", required: true, aliases: []string{"mã trường", "school id"}}
	c[stGrade] = column{name: "grade", required: true, aliases: []string{"lớp", "khối", "khối lớp", "class"}}
	c[stPriority] = column{name: "priority", aliases: []string{"ưu tiên", "diện ưu tiên", "đối tượng ưu tiên", "nhóm ưu tiên", "tier"}}
	c[stHasDevice] = column{name: "has_device", aliases: []string{"có thiết bị", "đã có thiết bị", "thiết bị học tập", "has device"}}
	c[stCovidOrphan] = column{name: "covid_orphan", aliases: []string{"mồ côi do covid-19", "mồ côi do covid", "cha mẹ mất do covid", "cha mẹ mất do covid-19", "covid orphan"}}
	c[stFullName] = column{name: "full_name", aliases: []string{"họ và tên", "họ tên", "họ và tên học sinh", "tên học sinh", "name"}}
	c[stBirthDate] = column{name: "birth_date", aliases: []string{"ngày sinh", "ngày tháng năm sinh", "date of birth", "dob"}}
	return c
}

// Sites (one row per sector).
const (
	siSite = iota
	siSector
	siOperator
	siTech
	siBand
	siLat
	siLon
	siHeight
	siAzimuth
	siBeam
	siRange
	siStatus
	siN
)

func siteColumns() []column {
	c := make([]column, siN)
	c[siSite] = column{name: "site_id", required: true, aliases: []string{"mã trạm", "mã trạm bts", "mã bts", "tên trạm", "site", "site id"}}
	c[siSector] = column{name: "sector_id", aliases: []string{"mã cell", "mã sector", "mã ô", "cell id", "cell_id", "sector"}}
	c[siOperator] = column{name: "operator", required: true, aliases: []string{"nhà mạng", "doanh nghiệp", "nhà khai thác", "mạng"}}
	c[siTech] = column{name: "technology", required: true, aliases: []string{"công nghệ", "tech", "radio", "loại trạm"}}
	c[siBand] = column{name: "band_mhz", required: true, aliases: []string{"băng tần", "băng tần mhz", "tần số", "band", "frequency", "frequency_mhz"}}
	c[siLat] = latColumn()
	c[siLon] = lonColumn()
	c[siHeight] = column{name: "antenna_height_m", aliases: []string{"độ cao anten", "độ cao ăng ten", "chiều cao anten", "độ cao cột", "antenna height", "height_m", "height"}}
	c[siAzimuth] = column{name: "azimuth_deg", aliases: []string{"góc phương vị", "hướng", "azimuth", "azimuth deg"}}
	c[siBeam] = column{name: "beamwidth_deg", aliases: []string{"độ rộng búp sóng", "độ rộng búp", "beamwidth", "beam width"}}
	c[siRange] = column{name: "range_m", aliases: []string{"bán kính phủ", "bán kính phủ sóng", "bán kính", "range", "radius_m"}}
	c[siStatus] = column{name: "status", aliases: []string{"trạng thái", "tình trạng"}}
	return c
}

// OpenCelliD CSV columns (fixed, English only).
const (
	ocRadio = iota
	ocMCC
	ocNet
	ocArea
	ocCell
	ocUnit
	ocLon
	ocLat
	ocRange
	ocSamples
	ocChangeable
	ocCreated
	ocUpdated
	ocSignal
	ocN
)

func ocidColumns() []column {
	names := []string{"radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range", "samples", "changeable", "created", "updated", "averageSignal"}
	c := make([]column, ocN)
	for i, n := range names {
		c[i] = column{name: n, required: i <= ocLat}
	}
	c[ocUnit].required = false
	c[ocNet].aliases = []string{"mnc"}
	c[ocArea].aliases = []string{"lac", "tac"}
	c[ocCell].aliases = []string{"cid", "cellid"}
	return c
}

// Fiber nodes.
const (
	fnID = iota
	fnOperator
	fnKind
	fnLat
	fnLon
	fnN
)

func fiberNodeColumns() []column {
	c := make([]column, fnN)
	c[fnID] = column{name: "node_id", required: true, aliases: []string{"mã nút", "mã node", "mã điểm", "node id", "id"}}
	c[fnOperator] = column{name: "operator", required: true, aliases: []string{"nhà mạng", "doanh nghiệp", "đơn vị", "chủ sở hữu", "owner"}}
	c[fnKind] = column{name: "kind", aliases: []string{"loại", "loại nút", "loại node", "type", "node type"}}
	c[fnLat] = latColumn()
	c[fnLon] = lonColumn()
	return c
}

// Devices.
const (
	dvID = iota
	dvDonor
	dvType
	dvOS
	dvOSVersion
	dvCPU
	dvRAM
	dvStorage
	dvFree
	dvCharger
	dvAV
	dvScreen
	dvKeyboard
	dvMonitor
	dvWiFi
	dvSerial
	dvIMEI
	dvArea
	dvCPUModel
	dvHeadphones
	dvBattery
	dvSchool
	dvReceived
	dvN
)

func deviceColumns() []column {
	c := make([]column, dvN)
	c[dvID] = column{name: "device_id", required: true, aliases: []string{"mã thiết bị", "mã tb", "device id", "id"}}
	c[dvDonor] = column{name: "donor", aliases: []string{"nhà tài trợ", "đơn vị tài trợ", "người tài trợ", "nguồn tài trợ", "donor name"}}
	c[dvType] = column{name: "type", required: true, aliases: []string{"loại thiết bị", "loại", "device type", "device_type"}}
	c[dvOS] = column{name: "os", aliases: []string{"hệ điều hành", "hđh", "operating system"}}
	c[dvOSVersion] = column{name: "os_version", aliases: []string{"phiên bản hệ điều hành", "phiên bản hđh", "phiên bản", "os version"}}
	c[dvCPU] = column{name: "cpu_ghz", aliases: []string{"cpu", "tốc độ cpu", "tốc độ cpu ghz", "xung nhịp", "cpu ghz"}}
	c[dvRAM] = column{name: "ram_gb", aliases: []string{"ram", "bộ nhớ ram", "ram gb"}}
	c[dvStorage] = column{name: "storage_gb", aliases: []string{"bộ nhớ trong", "dung lượng lưu trữ", "dung lượng", "ổ cứng", "storage", "storage gb"}}
	c[dvFree] = column{name: "free_storage_gb", aliases: []string{"bộ nhớ trống", "dung lượng trống", "dung lượng còn trống", "free storage", "free_storage"}}
	c[dvCharger] = column{name: "has_charger", aliases: []string{"có sạc", "sạc", "bộ sạc", "charger"}}
	c[dvAV] = column{name: "av_ok", aliases: []string{"loa mic camera", "loa, mic, camera", "âm thanh hình ảnh", "loa mic webcam", "av"}}
	c[dvScreen] = column{name: "screen_ok", aliases: []string{"màn hình hoạt động", "màn hình tốt", "màn hình", "screen"}}
	c[dvKeyboard] = column{name: "keyboard_ok", aliases: []string{"bàn phím", "bàn phím tốt", "keyboard"}}
	c[dvMonitor] = column{name: "has_monitor", aliases: []string{"có màn hình rời", "màn hình rời", "bộ ngoại vi", "có bộ ngoại vi", "monitor"}}
	c[dvWiFi] = column{name: "wifi", aliases: []string{"wi-fi", "card wifi", "có wifi", "bộ thu wifi", "wireless"}}
	c[dvSerial] = column{name: "serial", aliases: []string{"số serial", "số sê ri", "số seri", "serial number", "s/n", "sn"}}
	c[dvIMEI] = column{name: "imei", aliases: []string{"số imei", "mã imei"}}
	c[dvArea] = areaColumn()
	c[dvCPUModel] = column{name: "cpu_model", aliases: []string{"bộ xử lý", "loại cpu", "tên cpu", "model cpu", "cpu model", "processor"}}
	c[dvHeadphones] = column{name: "headphones", aliases: []string{"tai nghe", "kèm tai nghe", "có tai nghe", "headset"}}
	c[dvBattery] = column{name: "battery_ok", aliases: []string{"pin tốt", "pin còn tốt", "pin", "battery"}}
	c[dvSchool] = holderSchoolColumn()
	c[dvReceived] = receivedColumn()
	return c
}

// receivedColumn is the optional day a device or SIM package was received.
func receivedColumn() column {
	return column{name: "received_on", aliases: []string{"ngày tiếp nhận", "ngày nhận", "ngày tiếp nhận thiết bị", "received", "received on", "date received"}}
}

// SIM-data packages.
const (
	spID = iota
	spOperator
	spGBPerDay
	spMonths
	spQuantity
	spArea
	spSchool
	spDonor
	spReceived
	spN
)

func simPackageColumns() []column {
	c := make([]column, spN)
	c[spID] = column{name: "package_id", required: true, aliases: []string{"mã gói", "mã gói cước", "package id", "id"}}
	c[spOperator] = column{name: "operator", required: true, aliases: []string{"nhà mạng", "doanh nghiệp"}}
	c[spGBPerDay] = column{name: "gb_per_day", required: true, aliases: []string{"gb/ngày", "dung lượng/ngày", "dung lượng mỗi ngày", "data/ngày", "gb ngày", "gb per day"}}
	c[spMonths] = column{name: "months", required: true, aliases: []string{"số tháng", "thời hạn", "thời hạn tháng", "thời gian tháng"}}
	c[spQuantity] = column{name: "quantity", required: true, aliases: []string{"số lượng", "sl", "số gói", "qty"}}
	c[spArea] = areaColumn()
	c[spSchool] = holderSchoolColumn()
	c[spDonor] = column{name: "donor", aliases: []string{"nhà tài trợ", "đơn vị tài trợ", "người tài trợ", "nguồn tài trợ", "donor name"}}
	c[spReceived] = receivedColumn()
	return c
}

// columnsFor returns the columns of a table kind (nil for GeoJSON kinds).
func columnsFor(kind string) []column {
	switch kind {
	case KindSchools:
		return schoolColumns()
	case KindHouseholds:
		return householdColumns()
	case KindStudents:
		return studentColumns()
	case KindSites:
		return siteColumns()
	case KindFiberNodes:
		return fiberNodeColumns()
	case KindDevices:
		return deviceColumns()
	case KindSimPackages:
		return simPackageColumns()
	case KindMeasurements:
		return measurementColumns()
	case KindSuccessors:
		return successorColumns()
	}
	return nil
}

func columnNames(cols []column) []string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = c.name
	}
	return s
}

// Enumerations. Each builder returns a fresh value (no package state).

func levelEnum() *enum {
	return newEnum("level", data.SchoolLevels(), map[string][]string{
		data.LevelPrimary:    {"tiểu học", "trường tiểu học", "th", "primary school"},
		data.LevelLower:      {"thcs", "trung học cơ sở", "trường thcs", "lower secondary"},
		data.LevelUpper:      {"thpt", "trung học phổ thông", "trường thpt", "upper secondary"},
		data.LevelGDNNGDTX:   {"gdnn-gdtx", "gdnn gdtx", "trung tâm gdnn-gdtx", "gdtx", "gdnn", "giáo dục thường xuyên", "continuing education"},
		data.LevelVocational: {"trung cấp", "trung cấp nghề", "trường trung cấp"},
		data.LevelCollege:    {"cao đẳng", "trường cao đẳng"},
		data.LevelUniversity: {"đại học", "trường đại học", "học viện"},
	}, "tiểu học, THCS, THPT, GDNN-GDTX, trung cấp, cao đẳng, đại học; a combined school (liên cấp) takes its highest level")
}

func internetEnum() *enum {
	return newEnum("internet", []string{data.InternetFiber, data.InternetADSL, data.Internet4G, data.InternetNone}, map[string][]string{
		data.InternetFiber: {"cáp quang", "quang", "ftth", "fibre", "fiber optic", "internet cáp quang"},
		data.InternetADSL:  {"xdsl", "dsl", "cáp đồng"},
		data.Internet4G:    {"lte", "di động 4g", "4g lte", "4G"},
		data.InternetNone:  {"không", "không có", "chưa có", "no", "0", "-"},
	}, "cáp quang, ADSL, 4G, không")
}

func precisionEnum() *enum {
	return newEnum("location_precision", []string{data.PrecisionGPS, data.PrecisionVillage, data.PrecisionCommune}, map[string][]string{
		data.PrecisionGPS:     {"gps", "toạ độ gps", "chính xác", "điểm", "point"},
		data.PrecisionVillage: {"thôn", "xóm", "thôn xóm", "thôn/xóm", "ấp", "bản", "tổ dân phố"},
		data.PrecisionCommune: {"xã", "phường", "xã/phường", "thị trấn"},
	}, "GPS, thôn, xã")
}

func povertyEnum() *enum {
	return newEnum("poverty", []string{data.PovertyPoor, data.PovertyNearPoor, data.PovertyNone}, map[string][]string{
		data.PovertyPoor:     {"nghèo", "hộ nghèo", "hn", "1", "x", "có", "yes", "true"},
		data.PovertyNearPoor: {"cận nghèo", "hộ cận nghèo", "hcn", "near poor", "near-poor", "2"},
		data.PovertyNone:     {"không", "bình thường", "khác", "no", "0", "false", "-"},
	}, "nghèo, cận nghèo, không")
}

func priorityEnum() *enum {
	return newEnum("priority", []string{"0", "1", "2", "3"}, map[string][]string{
		"0": {"không", "none", "no", "-", "0.0"},
		"1": {"hộ nghèo", "nghèo", "poor", "1.0"},
		"2": {"hộ cận nghèo", "cận nghèo", "near poor", "near_poor", "2.0"},
		"3": {"covid", "covid-19", "khó khăn", "khó khăn do covid", "khó khăn do covid-19", "mồ côi do covid", "3.0"},
	}, "hộ nghèo = 1, cận nghèo = 2, khó khăn do COVID-19 = 3, không = 0")
}

func mobileOperatorEnum(field string) *enum {
	return newEnum(field, []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile}, map[string][]string{
		data.OpViettel:      {"viettel telecom", "vtl", "vietel"},
		data.OpVinaphone:    {"vnpt", "vnpt vinaphone", "vnpt-vinaphone", "vina", "vnp", "vinafone"},
		data.OpMobifone:     {"mobi", "mbf", "vms", "mobiphone"},
		data.OpVietnamobile: {"vnmobile", "vietnam mobile", "vnm", "hutchison"},
		data.OpGmobile:      {"gtel", "gtel mobile", "beeline"},
	}, "VNPT (= vinaphone), MobiFone, Vietnamobile, Gmobile, any case")
}

func fiberOperatorEnum() *enum {
	return newEnum("operator", []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile, data.OpFPT, "vnpt", "cmc", "other"}, map[string][]string{
		data.OpViettel:   {"viettel telecom", "vtl"},
		data.OpVinaphone: {"vnpt vinaphone", "vnpt-vinaphone", "vina"},
		data.OpMobifone:  {"mobi", "mbf"},
		data.OpGmobile:   {"gtel"},
		data.OpFPT:       {"fpt telecom", "fpt viễn thông"},
		"vnpt":           {"vnpt net", "vnpt-net", "vnpt viễn thông"},
		"cmc":            {"cmc telecom", "cmc ti"},
		"other":          {"khác", "đơn vị khác"},
	}, "FPT Telecom, VNPT, CMC Telecom, khác")
}

func technologyEnum() *enum {
	return newEnum("technology", []string{data.Tech2G, data.Tech3G, data.Tech4G, data.Tech5G}, map[string][]string{
		data.Tech2G: {"2g", "gsm", "gprs", "edge"},
		data.Tech3G: {"3g", "umts", "wcdma", "hspa", "hspa+"},
		data.Tech4G: {"4g", "lte", "lte-a", "lte advanced", "4g lte"},
		data.Tech5G: {"5g", "nr", "5g nr"},
	}, "GSM, UMTS/WCDMA, LTE, NR")
}

func statusEnum() *enum {
	return newEnum("status", []string{data.StatusActive, data.StatusPlanned}, map[string][]string{
		data.StatusActive:  {"hoạt động", "đang hoạt động", "đã phát sóng", "phát sóng", "on air", "existing"},
		data.StatusPlanned: {"kế hoạch", "quy hoạch", "dự kiến", "xây mới", "chưa phát sóng", "plan", "planning"},
	}, "hoạt động, kế hoạch")
}

func deviceTypeEnum() *enum {
	return newEnum("type", []string{data.DevicePhone, data.DeviceTablet, data.DeviceLaptop, data.DeviceDesktop}, map[string][]string{
		data.DevicePhone:   {"điện thoại", "điện thoại thông minh", "smartphone", "mobile phone", "đtdđ"},
		data.DeviceTablet:  {"máy tính bảng", "ipad"},
		data.DeviceLaptop:  {"máy tính xách tay", "notebook", "mtxt", "máy tính laptop"},
		data.DeviceDesktop: {"máy tính để bàn", "máy để bàn", "pc", "máy bàn", "máy tính bàn"},
	}, "điện thoại, máy tính bảng, máy tính xách tay/laptop, máy tính để bàn")
}

func priorityTagEnum() *enum {
	return newEnum("priority tag", data.AreaTags(), map[string][]string{
		data.AreaTagMountain: {"miền núi", "vùng núi", "vùng cao", "núi", "mountainous", "mountains"},
		data.AreaTagCoastal:  {"bãi ngang, ven biển", "bãi ngang ven biển", "bãi ngang", "ven biển", "vùng biển", "coast", "coastal area"},
		data.AreaTagLockdown: {"phong tỏa", "phong toả", "cách ly", "giãn cách", "lock-down", "quarantine"},
	}, "miền núi, bãi ngang ven biển, phong tỏa")
}

func environmentEnum() *enum {
	return newEnum("environment", []string{"urban", "suburban", "rural", "mountain"}, map[string][]string{
		"urban":    {"thành thị", "đô thị", "nội thành"},
		"suburban": {"ven đô", "ngoại thành", "ven đô thị"},
		"rural":    {"nông thôn"},
		"mountain": {"miền núi", "vùng núi", "núi", "mountainous"},
	}, "thành thị, ven đô, nông thôn, miền núi, or empty")
}

// osAliases maps the start of an operating-system name to its canonical
// form; what follows is taken as the version when os_version is empty.
func osAliases() [][2]string {
	return [][2]string{
		{"android", "android"}, {"ipados", "ios"}, {"iphone os", "ios"}, {"ios", "ios"},
		{"windows", "windows"}, {"win", "windows"}, {"chrome os", "chromeos"}, {"chromeos", "chromeos"},
		{"mac os x", "macos"}, {"macos", "macos"}, {"mac os", "macos"}, {"os x", "macos"},
		{"ubuntu", "linux"}, {"linux", "linux"},
	}
}
