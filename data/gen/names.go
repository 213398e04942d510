package gen

import (
	"hash/fnv"
	"time"
)

// Vietnamese names for generated pupils (Options.Names): a family name
// shared by the household, a middle and a given name per pupil, all picked
// by a hash of the ids (no draw from the generator's random stream, so the
// other files are the same with or without names).
var (
	familyNames = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
		"Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Hà", "Đào", "Mai", "Cao", "Tạ"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Thu", "Gia", "Bảo",
		"Khánh", "Phương", "Anh", "Hoài", "Tuấn", "Thùy", "Kim", "Công", "Đình", "Như", "Trọng", "Hải"}
	givenNames = []string{"An", "Anh", "Bảo", "Bình", "Châu", "Chi", "Cường", "Dũng", "Duy", "Dương", "Đạt", "Giang",
		"Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hòa", "Hùng", "Huy", "Hương", "Khang", "Khánh", "Khoa", "Lan", "Linh",
		"Long", "Mai", "Minh", "My", "Nam", "Ngân", "Ngọc", "Nhi", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang",
		"Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Thành", "Thư", "Tiến", "Trang", "Trí", "Trung", "Tú", "Tuấn", "Uyên",
		"Vân", "Việt", "Vinh", "Vy", "Yến", "Hậu", "Kiên", "Loan", "Lộc", "Ly"}
)

func idHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// pupilName is the generated name of pupil id of household hh.
func pupilName(hh, id string) string {
	f := familyNames[idHash("family", hh)%uint64(len(familyNames))]
	x := idHash("pupil", id)
	return f + " " + middleNames[x%uint64(len(middleNames))] + " " + givenNames[(x/64)%uint64(len(givenNames))]
}

// pupilBirthDate: a pupil of grade g (1–12) was born in the year a pupil
// starting grade 1 at six in September 2025 − (g − 1) was; grade 0 as
// grade 1. The day is picked by a hash of the id.
func pupilBirthDate(id string, grade int) string {
	year := 2025 - 6 - max(grade-1, 0)
	day := int(idHash("birth", id) % 365)
	return time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Format("2006-01-02")
}
