"""The bundled default catalog, as the TOML a user would write (see docs/catalog.md).

Every entry names its source; the sources are those collected in published-tariff-rules.md.
Where the sources are silent the entry says what the library chose.
"""

from typing import Final

_BASE_TOML: Final = """
# Calls to the operator's own service numbers are free (tariff rules §9).
free_numbers = ["10010", "10011", "10018", "10901", "13010199999", "18618610010"]
# Abroad only the roaming hotlines are free; +86 10010 is charged at roaming rates (§5).
roaming_free_numbers = ["13010199999", "18618610010"]
default_roaming_zone = "roam-rest"

[[plan]]
id = "3g-a-46"
name = "3G basic package A, 46 yuan"
name_zh = "3G基本套餐A 46元"
kind = "mobile"
monthly_fee = "46"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §1: 2014 Guangdong/Yunnan order forms; gist Arthraim/8535576; c114.com.cn a439731 (data 0.0003 yuan/KB); 500-yuan cap: chinatechnews 2009-07-17. MMS 0.30 is the national standard rate (the plan sources are silent)."
allowance = { voice_minutes = 50, video_minutes = 5, sms = 0, data_mb = 150 }
rates = { voice = "0.25", video = "0.60", sms = "0.10", mms = "0.30" }
data = { billing = "kb-per-session", rate = "0.0003", fee_cap = "500", volume_cap_mb = 6144 }

[[plan]]
id = "3g-a-66"
name = "3G basic package A, 66 yuan"
name_zh = "3G基本套餐A 66元"
kind = "mobile"
monthly_fee = "66"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §1: 2014 Guangdong/Yunnan order forms; gist Arthraim/8535576; c114.com.cn a439731 (data 0.0003 yuan/KB); 500-yuan cap: chinatechnews 2009-07-17. MMS 0.30 is the national standard rate (the plan sources are silent)."
allowance = { voice_minutes = 50, video_minutes = 10, sms = 240, data_mb = 300 }
rates = { voice = "0.20", video = "0.60", sms = "0.10", mms = "0.30" }
data = { billing = "kb-per-session", rate = "0.0003", fee_cap = "500", volume_cap_mb = 6144 }

[[plan]]
id = "4g-56"
name = "4G/3G integrated national package, 56 yuan"
name_zh = "4G/3G一体化全国套餐 56元"
kind = "mobile"
monthly_fee = "56"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 100, data_mb = 500 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-76"
name = "4G/3G integrated national package, 76 yuan"
name_zh = "4G/3G一体化全国套餐 76元"
kind = "mobile"
monthly_fee = "76"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 200, data_mb = 800 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-106"
name = "4G/3G integrated national package, 106 yuan"
name_zh = "4G/3G一体化全国套餐 106元"
kind = "mobile"
monthly_fee = "106"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 300, data_mb = 1024 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-136"
name = "4G/3G integrated national package, 136 yuan"
name_zh = "4G/3G一体化全国套餐 136元"
kind = "mobile"
monthly_fee = "136"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 500, data_mb = 1024 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-166"
name = "4G/3G integrated national package, 166 yuan"
name_zh = "4G/3G一体化全国套餐 166元"
kind = "mobile"
monthly_fee = "166"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 500, data_mb = 2048 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-196"
name = "4G/3G integrated national package, 196 yuan"
name_zh = "4G/3G一体化全国套餐 196元"
kind = "mobile"
monthly_fee = "196"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 500, data_mb = 3072 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-296"
name = "4G/3G integrated national package, 296 yuan"
name_zh = "4G/3G一体化全国套餐 296元"
kind = "mobile"
monthly_fee = "296"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 1000, data_mb = 4096 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-396"
name = "4G/3G integrated national package, 396 yuan"
name_zh = "4G/3G一体化全国套餐 396元"
kind = "mobile"
monthly_fee = "396"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 2000, data_mb = 6144 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "4g-596"
name = "4G/3G integrated national package, 596 yuan"
name_zh = "4G/3G一体化全国套餐 596元"
kind = "mobile"
monthly_fee = "596"
first_month = ["full", "half", "pay-per-use"]
source = "tariff rules §2: m.xxgcxx.com/news/show/3738; jendow.com.tw 聯通4G套餐; worry-free data rule zuowendang.com 1676111813; rollover from 2015-10: jihaoba.com 47854"
allowance = { voice_minutes = 3000, data_mb = 11264 }
rates = { voice = "0.15", video = "0.15", video_uses_voice_minutes = true, sms = "0.10", mms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.30", block_units = 1024, block_fee = "60", block_tail_units = 200, rollover = true }

[[plan]]
id = "3g-card-80"
name = "3G data card, 80 yuan / 1 GB"
name_zh = "3G上网卡 80元1GB"
kind = "mobile"
monthly_fee = "80"
half_month_from_day = 16
upgrade_to = "3g-card-150"
source = "tariff rules §3: m.lujuzi.cn/news/rf/200909/427359.htm (tiers, 0.10 yuan/MB, auto-upgrade, 15 GB cut-off, before-the-16th rule)"
allowance = { data_mb = 1024 }
rates = { sms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[plan]]
id = "3g-card-150"
name = "3G data card, 150 yuan / 3 GB"
name_zh = "3G上网卡 150元3GB"
kind = "mobile"
monthly_fee = "150"
half_month_from_day = 16
upgrade_to = "3g-card-200"
source = "tariff rules §3: m.lujuzi.cn/news/rf/200909/427359.htm (tiers, 0.10 yuan/MB, auto-upgrade, 15 GB cut-off, before-the-16th rule)"
allowance = { data_mb = 3072 }
rates = { sms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[plan]]
id = "3g-card-200"
name = "3G data card, 200 yuan / 5 GB"
name_zh = "3G上网卡 200元5GB"
kind = "mobile"
monthly_fee = "200"
half_month_from_day = 16
upgrade_to = "3g-card-300"
source = "tariff rules §3: m.lujuzi.cn/news/rf/200909/427359.htm (tiers, 0.10 yuan/MB, auto-upgrade, 15 GB cut-off, before-the-16th rule)"
allowance = { data_mb = 5120 }
rates = { sms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[plan]]
id = "3g-card-300"
name = "3G data card, 300 yuan / 10 GB"
name_zh = "3G上网卡 300元10GB"
kind = "mobile"
monthly_fee = "300"
half_month_from_day = 16
source = "tariff rules §3: m.lujuzi.cn/news/rf/200909/427359.htm (tiers, 0.10 yuan/MB, auto-upgrade, 15 GB cut-off, before-the-16th rule)"
allowance = { data_mb = 10240 }
rates = { sms = "0.10" }
data = { billing = "mb-cumulative", rate = "0.10", volume_cap_mb = 15360 }

[[data_pack]]
id = "3g-pack-10"
name = "National 3G data pack, 10 yuan / 100 MB"
fee = "10"
data_mb = 100
group = "3g-data-pack"
carry_over = true
sms_code = "3GLL10"
source = "tariff rules §4: m.1226.net (KT3GLL10 / LJKT3GLL10; tiers exclusive; carry-over to the end of next month)"

[[data_pack]]
id = "3g-pack-20"
name = "National 3G data pack, 20 yuan / 300 MB"
fee = "20"
data_mb = 300
group = "3g-data-pack"
carry_over = true
sms_code = "3GLL20"
source = "tariff rules §4: m.1226.net (KT3GLL20 / LJKT3GLL20; tiers exclusive; carry-over to the end of next month)"

[[data_pack]]
id = "3g-pack-30"
name = "National 3G data pack, 30 yuan / 500 MB"
fee = "30"
data_mb = 500
group = "3g-data-pack"
carry_over = true
sms_code = "3GLL30"
source = "tariff rules §4: m.1226.net (KT3GLL30 / LJKT3GLL30; tiers exclusive; carry-over to the end of next month)"

[[roaming_zone]]
id = "roam-hmt"
name = "Hong Kong, Macau, Taiwan"
countries = ["HK", "MO", "TW"]
voice_local = "0.86"
voice_receive = "1.86"
voice_to_china = "1.86"
sms_to_china = "0.86"
day_pack_fee = "5"
day_pack_mb = 5
day_pack_max = 16
source = "tariff rules §5: news.zhiding.cn 2011-06-30 gives ranges (local 0.86-6.86, receiving 1.86-5.86, to China 1.86-25.86, SMS 0.86-2.86); per-zone values are the library's choice within them. Day packs: xiayuyun.com 481393 (5 MB for 5 yuan, up to 16 a day)."

[[roaming_zone]]
id = "roam-asia-pacific-us"
name = "Japan, Korea, USA, Russia, South-East Asia, Australia"
countries = ["JP", "KR", "US", "RU", "SG", "TH", "ID", "MY", "PH", "AU"]
voice_local = "2.86"
voice_receive = "2.86"
voice_to_china = "3.86"
sms_to_china = "1.86"
day_pack_fee = "5"
day_pack_mb = 5
day_pack_max = 16
source = "tariff rules §5: news.zhiding.cn 2011-06-30 gives ranges (local 0.86-6.86, receiving 1.86-5.86, to China 1.86-25.86, SMS 0.86-2.86); per-zone values are the library's choice within them. Day packs: xiayuyun.com 481393 (5 MB for 5 yuan, up to 16 a day)."

[[roaming_zone]]
id = "roam-europe-americas"
name = "Canada, Mexico, New Zealand, Western Europe"
countries = ["CA", "MX", "NZ", "GB", "FR", "DE", "IT", "ES"]
voice_local = "3.86"
voice_receive = "3.86"
voice_to_china = "9.86"
sms_to_china = "2.86"
day_pack_fee = "5"
day_pack_mb = 3
day_pack_max = 16
source = "tariff rules §5: news.zhiding.cn 2011-06-30 gives ranges (local 0.86-6.86, receiving 1.86-5.86, to China 1.86-25.86, SMS 0.86-2.86); per-zone values are the library's choice within them. Day packs: xiayuyun.com 481393 (3 MB for 5 yuan, up to 16 a day)."

[[roaming_zone]]
id = "roam-rest"
name = "Other destinations"
countries = []
voice_local = "6.86"
voice_receive = "5.86"
voice_to_china = "25.86"
sms_to_china = "2.86"
day_pack_fee = "5"
day_pack_mb = 3
day_pack_max = 16
source = "tariff rules §5: news.zhiding.cn 2011-06-30 gives ranges (local 0.86-6.86, receiving 1.86-5.86, to China 1.86-25.86, SMS 0.86-2.86); per-zone values are the library's choice within them. Day packs: xiayuyun.com 481393 (3 MB for 5 yuan, up to 16 a day)."

[[plan]]
id = "fixed-basic"
name = "Fixed line, basic rent"
name_zh = "固定电话基本月租"
kind = "fixed"
monthly_fee = "20"
source = "illustrative monthly-fee product: shared/reference publishes no fixed-line or broadband tariff"
rates = { voice = "0.10" }

[[plan]]
id = "bb-100m"
name = "Broadband 100 Mbit/s"
name_zh = "宽带100M"
kind = "broadband"
monthly_fee = "100"
source = "illustrative monthly-fee product: shared/reference publishes no fixed-line or broadband tariff"

[[plan]]
id = "bb-300m"
name = "Broadband 300 Mbit/s"
name_zh = "宽带300M"
kind = "broadband"
monthly_fee = "150"
source = "illustrative monthly-fee product: shared/reference publishes no fixed-line or broadband tariff"
"""

# 停机保号: a month a line is suspended throughout pays this instead of its monthly fee. The
# published rules are silent on the amount; 5 yuan a month is the common provincial standard.
_RETENTION_TOML: Final = """
retention_fee = "5"
"""

_SERVICES_TOML: Final = """
[[service]]
id = "caller-id"
name = "Caller display"
name_zh = "来电显示"
monthly_fee = "6"
sms_code = "LDXS"
source = "illustrative: the published rules give no value-added-service fees; 6 yuan a month is a common provincial standard"

[[service]]
id = "ringback"
name = "Ring-back tone"
name_zh = "彩铃"
monthly_fee = "5"
sms_code = "CL"
source = "illustrative: the published rules give no value-added-service fees; 5 yuan a month is a common provincial standard"

[[service]]
id = "mailbox"
name = "Mobile mailbox"
name_zh = "手机邮箱"
monthly_fee = "5"
sms_code = "SJYX"
source = "illustrative: the published rules give no value-added-service fees"
"""

# What 0.2.0 added to the bundled catalog. A store made by 0.1.0 gets it as a catalog source of
# its own when it is migrated.
ADDED_IN_0_2_TOML: Final = _RETENTION_TOML + _SERVICES_TOML

# Top-level keys come before the tables.
DEFAULT_CATALOG_TOML: Final = _RETENTION_TOML + _BASE_TOML + _SERVICES_TOML
