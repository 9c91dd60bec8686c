"""Question analysis: a question is read once into a :class:`Question`.

Retrieval, candidate generation, the reader and the abstention decision all
read this record; nothing downstream re-tokenises the question. What the
question asks for comes from one declarative table (:data:`ASKS`); its key
terms are weighted by their rarity in the report, or, for words the report
never uses, by their rarity in general Chinese (jieba's dictionary), so that
chatter around a question (``老板让我查下``) weighs little and a specific the
report lacks (``6G``) weighs much.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from reportqa.index.aliases import Aliases
from reportqa.index.store import RUN, runs_of
from reportqa.segment import Tokenizer
from reportqa.segment.tokenizer import NOT_A_WORD_CHAR, normalize

# 多/少 as more/less, not as the 多少 of "how many" (哪个国家 多少ZB asks no comparison)
MORE, LESS = "多(?!少)", "(?<!多)少"
# between a money word and its 多少: no word that asks for something else (出口的比重是多少 asks a
# share, 交易额增长多少 a rate, 出口快几个点 a comparison, 进出口前五是哪几 a list)
MONEY_GAP = r"(?:(?!占|比|百分|增|涨|跌|降|快|慢|前)[^，。？！,?!])"
# X 比 Y 高, the comparative construction (进口比出口还多); not 比重, 比例, 比率, 比较, 占比, 对比, 相比, 同比, 环比
COMPARED_WITH = r"(?<![占对相同环])比(?!重|例|率|较)[^，。？！?,\s]{1,8}?"
# 谁的 and what is measured before its comparative (谁的数字服务出口多, 谁的规模大一点)
WHOSE_MEASURE = r"[^，。？！?,\s]{1,12}?"
WHOSE = rf"谁的{WHOSE_MEASURE}"
# What a question asks for, in order of precedence. Each cue is general
# Chinese question wording, not wording of any one question.
ASKS: tuple[tuple[str, str], ...] = (
    ("day", r"哪一?天|几号|哪日|几月几[日号]"),
    ("month", r"哪个?月份?|哪一月|几月份?|什么月份|哪年哪月"),
    ("date", r"何时|什么时候|啥时候|哪一?年|何年|什么时间|啥时间|哪个?月份?|几月份?"),
    ("rank", r"排(?:名)?第几|排名多少|排第?几位|第几[名位]|排在第几|排名情况"
             r"|(?:排|排名|排在|位居|位列)第\s*(?:[2-9]|1\d|[二两三四五六七八九十])"),
    ("change", r"涨了?还是跌|是涨是跌|涨还是跌|增长还是下降|升还是降|上升还是下降|增加还是减少"
               r"|是不是(?:涨|增长|增加|下降|跌|降)|有没有(?:涨|增长|增加|下降)|涨没涨|降没降"),
    ("extreme", r"最(?:高|多|大|快|低|少|小|慢|狠|猛|凶|厉害|牛|火|强|弱|好)|老大|第一名|(?:排名|排)第\s*[1一](?!\d)|垫底"),
    ("comparison", rf"哪个.{{0,6}}(?:更|高|快|{MORE}|大|低|{LESS})|谁.{{0,4}}(?:更|高|快|{MORE}|大)|哪一个.{{0,6}}更"
                   rf"|更(?:高|快|多|大|低|少|慢)|[高低大多小少快慢]于|超过|相比|对比|比较|还是|谁(?:高|大|{MORE}|快)"
                   rf"|{COMPARED_WITH}(?:还|更)?(?:高|快|{MORE}|大|低|{LESS}|小|慢)(?![了出]?(?:多少|几))"
                   rf"|谁的(?={WHOSE_MEASURE}(?:高|快|{MORE}|大|低|{LESS}|小|慢))"),  # the measure read too (进出口额)
    ("rate", r"增长了?多少|增速|增长率|增幅|涨了?多少|跌了?多少|降了?多少|同比|增长几|涨幅|跌幅|降幅"),
    ("money", r"(?:收入|营收|营业额|销售额|金额|产值|市值|利润|进出口额?|[出进]口额?|交易额|投资额|执行额|贸易额|总额|规模|卖)"
              rf"{MONEY_GAP}{{0,4}}(?<![哪好])(?:多少|几)(?:钱|美元|元)?|多少钱"),
    ("quantity", r"多少|(?<!哪)几[个家项次年位件条份种座部所批名人万亿千百十]|多大|多高|多长|多久"),
    ("list", r"哪些|哪几|哪\s*(?:\d{1,2}|[两二三四五六七八九十]{1,2})\s*[个家项国种类条位所座批大]|分别|包括什么|包括啥|有什么|有啥|列举|都有"),
    ("person", r"哪位|谁(?:说|提出|担任|牵头|主持)"
               r"|(?:人|长|者|员|代表|主任|书记|总裁|专家|官)\s*(?:是谁|叫什么|叫啥|是哪位)"),  # 负责人是谁: a person's title
    ("who", r"是谁|谁是"),  # a person, an organisation or a country (老大是谁)
    ("place", r"哪[座个一]?城市|在哪里?(?:举办|举行|召开|签署|开幕|设立|开的|办的)|哪个国家|哪国|什么地方|在哪座"),
    ("entity", r"哪(?:个|一个|家|座|所|国|里|部)|什么(?:机构|组织|平台|城市|地方|名字|协定)|叫什么|叫啥|是哪"),
    ("definition", r"什么是|是什么|指什么|含义|定义|界定|概念|是指|啥是|是啥|什么意思|啥意思|怎么理解|内涵"),
)
_ASK_PATTERNS = tuple((name, re.compile(pattern)) for name, pattern in ASKS)
# what a when-question dates: the verb after its date cue (什么时候能谈完: 谈完; 自何时起正式施行: 施行),
# past adverbs and modals before it and a directional complement after it (出来, 定下来); a
# one-character verb (办的, 出的) says too little to be looked for
WHEN = re.compile("(?:{})+".format("|".join(p for name, p in ASKS if name in ("day", "month", "date"))))
BEFORE_EVENT = r"(?:能|会|可以|才|就|将|要|被|已经?|在|是|于|自|从|起|正式|开始|预计|大概|大约|首次|第一次|具体|最终|终于|又|还)*"
EVENT = re.compile(rf"{BEFORE_EVENT}(?!的)([\u4e00-\u9fffa-z]+?)(?:下?来|起来)?(?:的|了|呢|吗|啊|呀|来着|[\s,，。？?！!;；]|$)")
HIGH = re.compile(rf"最(?:高|多|大|快|强|好)|老大|第一名|排名第一|更(?:高|快|多|大)|哪个.{{0,6}}(?:高|快|{MORE}|大)"
                  rf"|谁.{{0,4}}(?:高|快|{MORE}|大)|{WHOSE}(?:高|快|{MORE}|大)")
# 最狠/最猛/最厉害 say how much, not which way: 跌得最狠 is the lowest change, 涨得最猛 the highest
LOW = re.compile(rf"最(?:低|少|小|慢|弱)|垫底|更(?:低|少|慢|小)|哪个.{{0,6}}(?:低|{LESS}|小|慢)|{WHOSE}(?:低|{LESS}|小|慢)")
# the first comparative a question states (高于, 低于, 比出口还多): its word says which way it asks
# (出口增速低于进口增速的: low; 是高于还是低于: high)
COMPARATIVE = re.compile(rf"([高低多少大小快慢])于|{COMPARED_WITH}(?:还|更)?(高|快|{MORE}|大|低|{LESS}|小|慢)")
FALLING_WORDS = r"跌|下滑|下降|降|萎缩|减少|负增长"
FALLING = re.compile(FALLING_WORDS)
NEGATIVE = re.compile(rf"为负|负数|是负|负的|{FALLING_WORDS}")
# the sign named, or a rise said of the items asked (增长的有哪些, 是涨的有几个); 增长 alone is any rate's word
POSITIVE = re.compile(r"正增长|为正(?!式)|是正数|(?:涨|增长|上升|增加)了?(?=的[有是])")
# whether there are any that fell or grew (有没有…负增长的): answered by the items, or none; a
# quantity asked whether it fell (进口有没有下降) is one figure's change, no filter
EXISTS = re.compile(rf"(?:有没有|是否有|有无)[^，。？！?\s]{{0,16}}?(?:{NEGATIVE.pattern}|{POSITIVE.pattern})的")
# how many items have a sign (负增长的有几个, 下降的有多少个): a count of the filter, no figure's change
SIGN_COUNTED = re.compile(rf"(?:{NEGATIVE.pattern}|{POSITIVE.pattern})的[有是]?(?:几|多少)个(?!百分|点)")
WHICH_KINDS = ("entity", "list", "who", "place")  # a question asking which items
RATE_WORDS = re.compile(rf"增速|增长率|增幅|同比|涨|增长|涨幅|{FALLING_WORDS}")  # a fall is a change too
# the scope a figure covers, as people name it: the world or the country (a 全球 figure does
# not answer a question about 中国); each scope with the words that name it
SCOPES = {"全球": ("全球", "世界"), "全国": ("中国", "我国", "全国", "国内", "咱们国家", "我们国家", "咱国")}
TRADE_SIDES = ("进出口", "出口", "进口")  # 进出口 first: it is neither side alone
SIDE_WORD = re.compile("|".join(TRADE_SIDES))
SIDE_ENDS = re.compile(rf"(?:{SIDE_WORD.pattern})额?$")  # a word naming a side's figure (出口额) or the side
# the sides in everyday words, read when no side is named: selling abroad is exporting, buying from abroad importing
ABROAD = r"(?:国外|海外|境外|外国)"
EVERYDAY_SIDES = (("出口", re.compile(rf"卖(?:到|给|去|往)?{ABROAD}|往外卖|外销|对外(?:卖|销售)")),
                  ("进口", re.compile(rf"(?:从|在){ABROAD}买|买(?:进来|回来)")))
# a question asking the same of each of several things (数安法和个保法分别是哪年出台的, 专利和软著各多少);
# 各地, 各国, 各类 are no such ask
EACH = re.compile(r"分别|各(?=[自是为有占要]|多少|几|多大)")
SHARE = re.compile(r"份额|比重|比例|占比|占多少|占多大|百分之几")  # a share asked (a comparison of shares)
# what a percentage answers besides a rate of change: a share, a ratio (普及率), 占…, 几成, %
PERCENT_WORDS = re.compile(rf"{SHARE.pattern}|占|百分|几成|率|%")
YEAR_END = re.compile(r"年底|年末|年终")  # the end of a year: December
MONTH = re.compile(rf"(?<![\d几])(1[0-2]|0?[1-9])\s*月|{YEAR_END.pattern}")  # a month stated (8月份多少 too), not asked (几月)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
SHORT_YEAR = re.compile(r"(?<![\d.])([012]\d)\s*年")  # 22年 is 2022年 in everyday writing
# a span of two-digit years writes 年 once, after the last (20到22年, 20-22年)
SHORT_SPAN = re.compile(r"(?<![\d.])([012]\d)(\s*(?:到|至|[-—–~])\s*[012]\d\s*年)")
# a year stated, with its end or start (2022年底): a specific, no part of what a question measures
STATED_YEAR = re.compile(r"(?:19|20)\d{2}\s*年(?:底|末|初)?")
# a year ends a word: jieba would join its 年 to what follows (2022年数服 → 年数, 2022年产值 → 年产值)
YEAR_WORD = re.compile(r"((?:19|20)\d{2}\s*年)(?=[\u4e00-\u9fff])")
NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
# where a typed question's parts meet: blanks, stops and question marks, a comma not inside a number
PART_BREAK = re.compile(r"[\s;:?!。]+|,(?!\d)")
QUOTED = re.compile(r"[《“「]([^》”」]{2,30})[》”」]")
# the word after 哪/什么 names the kind of thing asked (哪座城市: a city), not a name the answer must state
ASKED_KIND = re.compile(r"(?:哪|什么|啥)[一两三四五六七八九几]?[个家座项种类位所部条些方国]?([\u4e00-\u9fff]{2})")
ENTITY_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg", "eng"})
COMPASS = re.compile(r"[东南西北中]+部?")  # a direction (西南, 中西部) describes where; jieba tags it a place
# jieba's flags of words that point or join and name nothing to look for: pronouns (我国, 咱们, 那个,
# 这块), conjunctions (不是, 或者), particles (的话), modal particles, interjections, onomatopoeia
FUNCTION_FLAGS = frozenset({"r", "rr", "rz", "rg", "c", "cc", "u", "uj", "ul", "uv", "uz", "ud", "ug", "y", "e", "o"})
PLACE_OR_ORG_FLAGS = frozenset({"ns", "nt"})  # jieba's own dictionary tags them; a person tag (nr) often hits chatter (孙子)
BLANK = ("", "w")  # a blank between tagged words: a run of single characters ends at it
GENERAL_RARE = 16.0
MAX_TERMS = 24  # key terms, numbers and names kept per question
SIDE_MIN_IDF = 1.5  # a name rarer than this is a side of a comparison, not its setting
# 前三季度 is a period and 前十那个表里 the set asked within, not how many are asked for
TOP_N = re.compile(r"(?:前|最[\u4e00-\u9fff]{1,2}的)\s*(\d{1,2}|[一二两三四五六七八九十])"
                   r"(?!\s*(?:个?季度|个?月|年|天|周|(?:的|那个|那张)?\s*(?:表|里|中)))\s*(?:个|名|位|家|大)?")
# the place a rank question asks about (排第三的是谁: 3); 排第一 is a superlative (最高)
RANK_AT = re.compile(r"(?:排|排名|排在|位居|位列)第\s*([2-9]|1\d|[二两三四五六七八九十])")
CHINESE_NUMBERS = "一二三四五六七八九十"
CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]+")
# an ordinal with its counter: 首届 is 第一届, the first of a series (a specific, like a year)
ORDINAL = re.compile(r"(?:第\s*(\d{1,3}|[一二两三四五六七八九]?十?[一二三四五六七八九]?)|首)\s*(届|批|次|期|轮|任)")
# a place in a ranking a text states (居世界第二位, 排第一, 第3名): a specific, like a year; 排第一批
# counts a series (an ordinal), not a place
RANK_NUMBER = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})"
RANK = re.compile(rf"第\s*{RANK_NUMBER}\s*(?:位|名)|(?:排名?|排在|位居|位列|居|列)(?:世界|全球|全国)?第\s*{RANK_NUMBER}"
                  r"(?!\s*(?:届|批|次|期|轮|任|条|款|章|节|个))")
# the table a question names by its number (表4, 表三, 表1里面); 表里 names none, nor does 代表三个
TABLE_NAMED = re.compile(r"(?<![代发])表\s?(\d{1,2}(?![\d.])|[一二三四五六七八九十]{1,3})")
# what a how-many question counts: its counter and the noun right after it (多少条国际海缆: 条,
# 国际海缆; 几家企业; 多少观众; in 出口才多少 看着很低 the words after a blank are chatter); 多少钱, 多少亿,
# 几个百分点 (几个点, as people say it), 几成, 几倍 count no thing
COUNTERS = "个家项次位件条份种座部所批名人款台场届只笔"
COUNTED = re.compile(rf"(?<![哪第])(?:多少|几)(?:\s*(?!个?(?:百分)?点)([{COUNTERS}])"
                     r"|(?![钱亿万千百元美倍年月天日号岁成个%]))[“\"《「]?((?:[a-z\d]{1,3}(?=[\u4e00-\u9fff]))?[\u4e00-\u9fff]{0,4})")
CUT = re.compile(r"[\u4e00-\u9fffa-z]")  # a character of a word ASKED_LEAD's reach may cut
# what a how-much question measures: the words just before its 多少 (出口额是多少: 出口额); 几 asks
# a count (几个, whose noun says what is counted), a date (哪年几月) or a list (哪几个)
ASKED_LEAD = r"([\u4e00-\u9fffa-z]{2,12}?)[的是为有达到约共]{0,3}(?:大概|大约|一共|总共|具体)?(?:是|为|有)?"
MEASURED = re.compile(rf"{ASKED_LEAD}(?:多少|多大|多高)")
# what a count with no noun after its counter counts: the words before it (综试区有多少个)
COUNTED_LEAD = re.compile(rf"{ASKED_LEAD}$")
# the end of a name looked for in a text's words (a count's noun, a measure before a figure or in a
# column's label): its head and the words next to it
MEASURE_LEN = 6
# jieba's flags of words that end no name of a measure: particles (了, 的), adverbs (到底, 分别, 才),
# numerals and time words (一年, 现在, 去年), pronouns (各, 这块), conjunctions, modal particles,
# measure words, localisers (前), interjections and onomatopoeia
NO_MEASURE_FLAGS = ("u", "d", "m", "t", "r", "c", "y", "q", "f")
NO_MEASURE_EXACT = frozenset({"e", "o"})
NOUN_FLAGS = ("n", "vn", "an", "j", "eng")  # words a measure's name may end in (出口 is vn, 同比 j)
# words no measure's head or qualifier is: particles, adverbs, pronouns (咱们, 我国), prepositions,
# conjunctions, modal and other function words, numerals, measure words, times
NO_NAME_WORD = ("u", "d", "r", "p", "c", "y", "e", "o", "m", "q", "t", "zg")
# words that set the place after them against the subject as its counterpart: a trade flow's
# destination or origin (对美国的出口, 卖到东盟, 从美国来的外资), or what a rule applies to (RCEP对韩国生效)
PARTNER_CUES = frozenset({"对", "向", "往", "到", "从", "来自", "销往", "卖给"})
COUNTED_END = re.compile(r"[的了呢啊吗呀是在有和呗啦吧].*")
JOINER = re.compile(r"和|与|跟|同|及|相比|对比|比起|比")  # log(total / count) of a word near the rare end of jieba's dictionary


@dataclass(frozen=True)
class MeasureWords:
    """What one how-much part measures, read as a statistic states it: its
    ``head`` (the name's last noun of two characters or more: 顺差, 出口额)
    stands just before the figure; its ``qualifiers`` (the content words
    before the head, each with its key-term weight: 数字服务贸易) are stated
    anywhere before the figure, often once for several figures (其中，出口额达
    1.55万亿元 after 跨境电商进出口额达2.11万亿元). No head: nothing to read."""

    head: str = ""
    qualifiers: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Question:
    """A question analysed once.

    Attributes:
        text: the question as asked, trimmed.
        norm: its normalised form, short years written out (``22年`` → ``2022年``).
        terms: key terms with weights (report idf, or general rarity for words
            the report never uses), question cues and words that point or join
            (:data:`FUNCTION_FLAGS`: 我国, 咱们, 那个, 或者) left out.
        known: the key terms the report uses.
        asks: what it asks for, first the main kind (``date``, ``rank``, …).
        years: the years it names.
        numbers: the other numbers it states (``5G``'s 5, ``12个``'s 12).
        names: places, organisations and quoted titles it names that the report knows
            (a direction, 东部 or 东西, is none: it says where); for a name the report does
            not use whole, the names among its parts (美国 of 美国市场), see :meth:`QuestionAnalyzer._named`.
        trade_sides: every trade side (``进出口``, ``出口``, ``进口``) it names, in
            its order (``出口和进口分别``: both), the report's words before everyday
            ones (``卖到国外``: ``出口``; not ``出海``, which is also reaching the sea:
            西南出海的通道), see :func:`trade_sides`; its first is :attr:`trade_side`.
        rate: whether it asks about a rate of change (增速, 涨跌).
        share: whether it asks about a share (占比, 比重, 百分之几).
        percent: whether a percentage may answer it: a rate, a share, or
            another ratio (普及率, 占…, 几成); an amount asked (多大规模) is no percentage.
        direction: ``high`` or ``low`` for a superlative or comparison (the first
            comparative it states says which: 低于, 比出口还少), else ``None``.
        falling: whether its superlative is about falling (跌得最狠).
        sign: -1 when it asks which items fell, 1 which grew, with no
            superlative or comparison (哪个省市增速为负, 哪几个经济体出口下降了,
            哪些省市进口正增长, 有没有负增长的): a filter by sign; else 0.
        search_text: the text lexical retrieval searches: the question's words less
            those that point or join (as for the key terms: 我国 is rare in the report,
            which writes 中国), the long forms of the abbreviations it uses, and a
            side it names in everyday words. The dense forward reads the question as asked.
        sides: for a comparison, what it sets against what: each side the
            terms only that side has (``("新西兰",)``, ``("全球", "ict")``); for a
            question asking the same of each of several things (:data:`EACH`), the things.
        top_n: how many a superlative asks for (``前五``, ``最大的5个``: 5), else 1.
        rank_at: the place a rank question asks who holds (``排第三的是谁``: 3), else ``None``.
        expansions: long forms of the abbreviations among its terms and names, and for
            words the report uses the forms it defines as the same (``wto``: ``世界贸易组织``).
        absent: places and organisations it names (by jieba's tags) that the
            report never mentions, neither whole nor by their parts (广西 in a
            report that names only 重庆): a fact about them is not in the report.
        month: the month it dates its fact to (``8月``: 8; ``年底``, ``年末``: 12), else ``None``.
        ordinals: the ordinals it states (``2届`` for 第二届, ``1届`` for 首届), see :func:`ordinals`.
        scopes: the scopes it names (``全球``, ``全国``: :data:`SCOPES`), see :func:`scopes`.
        ranks: the places in a ranking it states (``居世界第一位``: 1; ``排第二``: 2), see :func:`ranks`.
        table: the number of the table it names (``表三``: ``"3"``), else ``None``.
        measured: what each how-much part measures, the words before its 多少
            (``2022年中国公有云市场规模是多少``: ``中国公有云市场规模``), see :func:`measured_things`.
        measure_words: each measured name read into its head and qualifiers, see :func:`measure_words`.
        asked_names: the names in the parts of the question that ask (a part holding a cue
            of :data:`ASKS`), not in the talk around them (``东南亚`` in ``RCEP啥时候正式生效的
            东南亚客户老提这个``); all its names when no part or every part asks, see :func:`asked_names`.
        partner: a place or organisation it sets against its subject as the
            counterpart (``中国对美国的数字服务出口``: ``美国``), see :func:`counterpart`, else ``None``.
        counted: what each how-many part counts, its counter and the noun after it
            (``多少条国际海缆``: ``("条", "国际海缆")``; ``多少观众``: ``("", "观众")``), see
            :func:`counted_things`.
        dated: what each when-part dates, the verb after its date cue
            (``加入DEPA的谈判预计什么时候能谈完``: ``谈完``), see :func:`dated_events`.
        wording: how much of it is written in the report's words: the share of its
            pairs of adjacent characters, as typed (punctuation and blanks left out),
            that occur in a word of the report's vocabulary, see :meth:`QuestionAnalyzer.wording`.
            A question in the report's own words is expected to find them in its answer.
        phrasing: the same at the grain of phrases: the share of its runs of three
            characters, as typed, that occur in the report's text (across word bounds).
        asking: for each of its parts, whether it asks, see :func:`asking_parts`.
    """

    text: str
    norm: str
    terms: Mapping[str, float]
    known: frozenset[str]
    asks: tuple[str, ...]
    years: tuple[str, ...]
    numbers: tuple[str, ...]
    names: tuple[str, ...]
    trade_sides: tuple[str, ...] = ()
    rate: bool = False
    share: bool = False
    percent: bool = False
    direction: str | None = None
    falling: bool = False
    sign: int = 0
    search_text: str = ""
    sides: tuple[tuple[str, ...], ...] = ()
    top_n: int = 1
    rank_at: int | None = None
    expansions: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    absent: tuple[str, ...] = ()
    month: int | None = None
    ordinals: tuple[str, ...] = ()
    ranks: tuple[int, ...] = ()
    scopes: tuple[str, ...] = ()
    table: str | None = None
    counted: tuple[tuple[str, str], ...] = ()
    measured: tuple[str, ...] = ()
    measure_words: tuple[MeasureWords, ...] = ()
    partner: str | None = None
    dated: tuple[str, ...] = ()
    asked_names: tuple[str, ...] = ()
    wording: float = 0.0
    phrasing: float = 0.0
    asking: tuple[bool, ...] = ()

    @property
    def talk(self) -> bool:
        """Whether a part of it asks and another asks nothing: talk around the
        question (why the user asks, what for), see :func:`asking_parts`."""
        return any(self.asking) and not all(self.asking)

    @property
    def trade_side(self) -> str | None:
        """The first trade side it names (``进口增速最低的 出口呢``: ``进口``), else ``None``."""
        return self.trade_sides[0] if self.trade_sides else None

    @property
    def setting(self) -> frozenset[str]:
        """Its key terms the report uses everywhere (idf below :data:`SIDE_MIN_IDF`:
        中国, 全球), as :meth:`QuestionAnalyzer.setting` judges a word: no name of a part."""
        return frozenset(t for t in self.known if self.terms[t] < SIDE_MIN_IDF)

    def asks_for(self, kind: str) -> bool:
        """Whether the question asks for ``kind`` (among others)."""
        return kind in self.asks

    @property
    def defined(self) -> tuple[str, ...]:
        """The term a definition question asks the meaning of, its heaviest key
        term, with the long forms the report defines for it (数贸: 数字贸易);
        ``()`` for any other question or one with no key term."""
        if not self.asks_for("definition") or not self.terms:
            return ()
        term = max(self.terms, key=lambda t: self.terms[t])
        return (term, *self.expansions.get(term, ()))

    @property
    def over_items(self) -> bool:
        """Whether it asks about items as a set: the largest, the one at a
        place or a row's place, those that fell. A table answers it by all its
        rows, not by the one row that is most like the question."""
        return self.asks_for("extreme") or self.asks_for("rank") or self.sign != 0

    def parts(self) -> tuple[Question, ...]:
        """One question per how-many or how-much part when it asks two or more
        (``cips有多少家参与者 一年处理多少笔业务``: one counting 参与者, one
        counting 业务), each reading only its own part; else ``()``."""
        if len(self.counted) + len(self.measured) < 2:
            return ()
        return (*(replace(self, counted=(c,), measured=(), measure_words=()) for c in self.counted),
                *(replace(self, counted=(), measured=(m,), measure_words=(w,))
                  for m, w in zip(self.measured, self.measure_words, strict=True)))


def direction_asked(norm: str, asks: tuple[str, ...]) -> str | None:
    """``low`` when a question asks for the least (最低, 垫底) or its first
    comparative is a lesser one (低于, 比出口还少); ``high`` when it asks
    for the most or compares otherwise; else ``None``."""
    compared = COMPARATIVE.search(norm)
    lower = compared is not None and (compared.group(1) or compared.group(2)) in "低少小慢"
    return "low" if LOW.search(norm) or lower else "high" if HIGH.search(norm) or "comparison" in asks else None


def sign_asked(norm: str, asks: tuple[str, ...]) -> int:
    """Which sign a question filters items by: -1 for which fell, 1 for
    which grew, asked as which items, whether there are any (有没有负增长的)
    or how many (下降的有几个), with no superlative or comparison; 0 for none."""
    if {"extreme", "comparison"} & set(asks) or not (any(k in asks for k in WHICH_KINDS) or EXISTS.search(norm)
                                                      or SIGN_COUNTED.search(norm)):
        return 0
    return -1 if NEGATIVE.search(norm) else 1 if POSITIVE.search(norm) else 0


def asked_kinds(norm: str) -> tuple[str, ...]:
    """The kinds of :data:`ASKS` whose cues occur in normalised text, in table
    order. A cue's characters are used once: the kind earlier in the table
    takes them (是什么时候 asks for a date, not a definition)."""
    kinds = []
    for name, pattern in _ASK_PATTERNS:
        if pattern.search(norm):
            kinds.append(name)
            norm = pattern.sub(lambda m: "\u3000" * len(m.group(0)), norm)
    return tuple(kinds)


def asking_parts(norm: str) -> tuple[bool, ...]:
    """For each part of a question (cut at :data:`PART_BREAK`), whether it
    asks (holds a cue of :data:`ASKS`): two that ask when it asks two things at
    once (``顺差有多少 比前一年多了多少``); one that asks nothing, beside one that
    does, is talk around the question (``rcep啥时候正式生效的 东南亚客户老提这个``)."""
    return tuple(bool(asked_kinds(p)) for p in PART_BREAK.split(norm) if p)


def asked_names(norm: str, names: Sequence[str], asks: Sequence[bool] | None = None) -> tuple[str, ...]:
    """The names that stand in a part of the question that asks: the parts
    are cut at :data:`PART_BREAK`, and a part asks when it holds a cue of
    :data:`ASKS` (``asks``, :func:`asking_parts` of ``norm`` when not given).
    When no part asks, or every part does (no talk around the question), all the names."""
    parts = [p for p in PART_BREAK.split(norm) if p]
    asks = asking_parts(norm) if asks is None else asks
    if not any(asks) or all(asks):
        return tuple(names)
    return tuple(n for n in names if any(n in p for p, asks_here in zip(parts, asks, strict=True) if asks_here))


def _may_name(word: str, asked_kind: set[str]) -> bool:
    """Whether a word the report uses may be a name a question states: not the
    kind of thing it asks for (城市 of 哪座城市), a direction (东部) or one letter."""
    return word not in asked_kind and not COMPASS.fullmatch(word) and (not word.isascii() or len(word) >= 2)


def names_nothing(word: str, flag: str) -> bool:
    """Whether a tagged word of a question is no key term: a word that points
    or joins (:data:`FUNCTION_FLAGS`), or one Chinese character."""
    return flag in FUNCTION_FLAGS or (len(word) == 1 and not word.isdigit() and not word.isascii())


def strip_cues(norm: str) -> str:
    """The text with every question cue of :data:`ASKS` blanked out."""
    for _, pattern in _ASK_PATTERNS:
        norm = pattern.sub(" ", norm)
    return norm


def chinese_number(n: str) -> int:
    """A number in digits or Chinese numerals up to 99 (``14``, ``十四``, ``二十二``, ``两``)."""
    if n.isdigit():
        return int(n)
    n = n.replace("两", "二")
    if "十" not in n:
        return CHINESE_NUMBERS.index(n) + 1 if len(n) == 1 else 0
    tens, _, ones = n.partition("十")
    return (CHINESE_NUMBERS.index(tens) + 1 if tens else 1) * 10 + (CHINESE_NUMBERS.index(ones) + 1 if ones else 0)


def scopes(norm: str) -> tuple[str, ...]:
    """The scopes a text names, each once (``中国对美国出口`` and ``全国``: 全国;
    ``全球占比`` and ``世界第二``: 全球)."""
    return tuple(scope for scope, words in SCOPES.items() if any(w in norm for w in words))


def ranks(norm: str) -> tuple[int, ...]:
    """The places in a ranking a text states (``居世界第二位``: 2, ``排名第3``: 3,
    ``排第一的是哪个国家``: 1), in order, each once."""
    out = []
    for m in RANK.finditer(norm):
        digits = m.group(1) or m.group(2)
        n = int(digits) if digits.isdigit() else chinese_number(digits)
        if n:
            out.append(n)
    return tuple(dict.fromkeys(out))


def ordinals(norm: str) -> tuple[str, ...]:
    """The ordinals a text states, each as its number and counter (``1届``
    for 首届 and 第一届 alike, ``14次`` for 第十四次)."""
    out = []
    for m in ORDINAL.finditer(norm):
        n = 1 if m.group(1) is None else chinese_number(m.group(1))
        if n:
            out.append(f"{n}{m.group(2)}")
    return tuple(dict.fromkeys(out))


def top_n(norm: str) -> int:
    """How many a superlative asks for: ``前五`` and ``最大的5个`` ask for 5; 1 when it names no count."""
    m = TOP_N.search(norm)
    return 1 if m is None else chinese_number(m.group(1))


def rank_at(norm: str) -> int | None:
    """The place a question asks who holds: ``排第三的是谁`` asks for 3, ``排名第2`` for 2."""
    m = RANK_AT.search(norm)
    return None if m is None else chinese_number(m.group(1))


def trade_sides(norm: str, words: Sequence[tuple[str, str]] = ()) -> tuple[str, ...]:
    """Every trade side a question names, in the order it names them, then
    those it names in everyday words (``出口增速和进口增速分别多少``: 出口, 进口;
    进出口 is a side of its own, not 出口 and 进口). A side inside a longer word
    of the question's ``words`` that goes on past it (数字服务出口基地, a base)
    names that word's thing, not a side; one ending it (数字服务出口, 出口额) names it."""
    for word in {w for w, _ in words if SIDE_WORD.search(w) and not SIDE_ENDS.search(w)}:
        norm = norm.replace(word, " ")
    named = [m.group() for m in SIDE_WORD.finditer(norm)]
    return tuple(dict.fromkeys([*named, *(s for s, cue in EVERYDAY_SIDES if cue.search(norm))]))


def table_named(norm: str) -> str | None:
    """The number of the table a question names: ``表4`` and ``表四`` are ``"4"``."""
    m = TABLE_NAMED.search(norm)
    n = 0 if m is None else chinese_number(m.group(1))
    return str(n) if n else None


def counterpart(words: list[tuple[str, str]]) -> str | None:
    """The first place of a question's tagged words right after a word of
    :data:`PARTNER_CUES` (``中国对美国的数字服务出口`` → ``美国``; not 面向大湾区,
    one word): what it sets against its subject, a fact of the pair; else ``None``."""
    previous = ""
    for word, flag in words:
        if (previous in PARTNER_CUES and flag in PLACE_OR_ORG_FLAGS and len(word) >= 2
                and not COMPASS.fullmatch(word)):
            return word
        previous = word or previous
    return None


def dated_events(norm: str) -> tuple[str, ...]:
    """What each when-part of a normalised question dates: the verb right
    after its date cue (:data:`WHEN`) up to the clause's end, a particle or a
    blank, at least two characters (``自何时起正式施行``: ``施行``; ``哪年几月出的``:
    none, ``出`` fits any verb of issuing)."""
    events = (EVENT.match(norm, m.end()) for m in WHEN.finditer(norm))
    return tuple(dict.fromkeys(e.group(1) for e in events if e is not None and len(e.group(1)) >= 2))


def counted_things(norm: str) -> tuple[tuple[str, str], ...]:
    """What each how-many part of a question counts: the counter after 多少/几
    and the noun after it, cut at a particle (``几家企业参展的`` → ``("家", "企业参展")``;
    ``多少家参与者 一年处理多少笔业务``: both, ``几份“中国方案”``: quoted), or with no
    noun after the counter the words before it (``综试区有多少个`` → ``("个", "综试区")``;
    not for 人, itself what is counted: ``全世界大概多少人``); a noun shorter than two
    characters is none; empty when it counts no thing."""
    out = []
    for m in COUNTED.finditer(norm):
        noun = COUNTED_END.sub("", m.group(2))
        noun = noun if len(noun) >= 2 else ""
        if m.group(1) and m.group(1) != "人" and not noun:  # the thing counted stands before: 4G基站有多少个
            lead = COUNTED_LEAD.search(STATED_YEAR.sub("", norm[: m.start()]))
            noun = "" if lead is None else lead.group(1)[-MEASURE_LEN:]
        if m.group(1) or noun:
            out.append((m.group(1) or "", noun))
    return tuple(dict.fromkeys(out))


def measured_things(norm: str, tagged: Callable[[str], Sequence[tuple[str, str]]]) -> tuple[str, ...]:
    """The words each how-much part of a question puts before its 多少, up to
    the measure's name (:func:`measure_name`; ``研发投入是多少`` → ``研发投入``;
    ``跨境电商进出口多少 出口多少``: both), from a whole word that is no
    particle or pronoun (``我国数字服务贸易顺差`` → ``数字服务贸易顺差``); a
    part whose words name no measure (``比前一年多了多少``) measures nothing;
    ``()`` when it counts a thing (``多少条国际海缆``): its noun says what is
    counted. ``tagged`` gives a text's words with jieba's flags."""
    if counted_things(norm):
        return ()
    text = STATED_YEAR.sub("", norm)
    names = []
    for m in MEASURED.finditer(text):
        words = tagged(m.group(1))
        if m.start(1) and CUT.match(text[m.start(1) - 1]):  # the lead's reach cut a word: its first is a piece
            words = words[1:]
        while words and words[0][1] in FUNCTION_FLAGS:  # nor with a particle (的) or a pronoun (我国, 那个)
            words = words[1:]
        names.append(measure_name(words))
    return tuple(dict.fromkeys(name for name in names if len(name) >= 2))


def measure_name(words: Sequence[tuple[str, str]]) -> str:
    """The words before a 多少 without what follows the measure's name: the
    words that end no name (:data:`NO_MEASURE_FLAGS`: 到底, 分别, 一年, 去年,
    各) and the verb of a change before 了 (``数字服务出口去年涨了`` →
    ``数字服务出口``: what rose is measured, 涨了 asks how much)."""
    kept = list(words)
    aspect = False
    while kept:
        word, flag = kept[-1]
        if flag in NO_MEASURE_EXACT or (flag.startswith(NO_MEASURE_FLAGS) and not word.isascii()):
            aspect = aspect or flag.startswith("u")
        elif aspect and not flag.startswith(NOUN_FLAGS):
            aspect = False  # the verb of 涨了, 卖了; a word before it ends the name again
        else:
            break
        kept.pop()
    return "".join(word for word, _ in kept)


def measure_words(name: str, tagged: Callable[[str], Sequence[tuple[str, str]]],
                  weight: Callable[[str], float]) -> MeasureWords:
    """A measured name read into its head and qualifiers (see
    :class:`MeasureWords`): of its words of two characters or more that are no
    particle, adverb, pronoun, numeral or the like (:data:`NO_NAME_WORD`;
    ``我国数字服务贸易顺差`` keeps ``数字服务贸易``, ``顺差``), the last noun is the head
    and those before it qualify it."""
    content = [(w, f) for w, f in tagged(name) if len(w) >= 2 and (w.isascii() or not f.startswith(NO_NAME_WORD))]
    heads = [k for k, (w, f) in enumerate(content) if w.isascii() or f.startswith(NOUN_FLAGS)]
    if not heads:
        return MeasureWords()
    return MeasureWords(content[heads[-1]][0], tuple((w, weight(w)) for w, _ in content[: heads[-1]]))


def share_known(chars: str, n: int, known: Collection[str]) -> float:
    """The share of the runs of ``n`` adjacent characters of ``chars`` that are
    in ``known``; 0 with no run."""
    runs = runs_of(chars, n)
    return sum(r in known for r in runs) / len(runs) if runs else 0.0


def expand_years(norm: str) -> str:
    """``22年`` → ``2022年``, ``20到22年`` → ``2020年到2022年``: two-digit years as people type them."""
    return SHORT_YEAR.sub(lambda m: f"20{m.group(1)}年", SHORT_SPAN.sub(r"\1年\2", norm))


class QuestionAnalyzer:
    """Turns question text into a :class:`Question`.

    Args:
        tokenizer: the shared jieba tokenizer.
        vocab: the report's BM25 vocabulary (word → row of ``idf``).
        idf: the report's idf per vocabulary word.
        aliases: short forms and names mined from the report at index time.
        runs: every run of three characters of the report's text
            (:attr:`~reportqa.index.store.TermStats.runs`).
    """

    def __init__(self, tokenizer: Tokenizer, vocab: Mapping[str, int], idf: object,
                 aliases: Aliases | None = None, runs: Collection[str] = frozenset()) -> None:
        self.tokenizer = tokenizer
        self.runs = runs
        self.vocab = vocab
        self.idf = idf
        self.aliases = aliases or Aliases()
        self.max_idf = max((float(v) for v in idf), default=1.0)  # type: ignore[attr-defined]
        self._general, self._general_total = tokenizer.general_frequencies()
        # the report's words of two-character parts by the short form of their parts' first characters
        # (数字服务 → 数服, 跨境电商 → 跨电), most used first
        shortened: dict[str, list[str]] = {}
        for word in sorted(vocab, key=self.weight):
            if len(word) in (4, 6) and CHINESE_WORD.fullmatch(word):
                shortened.setdefault(word[::2], []).append(word)
        self._shortened = shortened
        # every pair of adjacent characters inside a word of the report's (what :meth:`wording` counts)
        self._pairs = frozenset(w[k : k + 2] for w in vocab for k in range(len(w) - 1))

    def long_form(self, word: str) -> tuple[str, ...]:
        """The report's word that ``word`` shortens, when the report never uses
        ``word`` itself: a defined alias or a quoted name (:meth:`Aliases.expand`),
        else the report's most used word whose two-character parts begin with
        ``word``'s characters (跨电 → 跨境电商, 数服 → 数字服务), as Chinese
        shortens a compound, unless ``word`` is a common word of general
        Chinese (中文 is no 中华文化); empty when none."""
        if word in self.vocab:
            return self.aliases.pairs.get(word, ())
        forms = self.aliases.expand(word)
        if not forms and word in self._shortened and self.weight(word) >= self.max_idf:
            forms = (self._shortened[word][0],)
        return forms

    def wording(self, text: str) -> tuple[float, float]:
        """How much of a question is in the report's words, read as typed
        (normalised, short years not written out, punctuation and blanks left
        out): the share of its pairs of adjacent characters inside a word of
        the report's vocabulary, and the share of its runs of three characters
        in the report's text (``数字贸易`` in a report that writes it: 1 and 1;
        chatter the report never uses lowers both); 0 where it has none."""
        chars = NOT_A_WORD_CHAR.sub("", normalize(text))
        return share_known(chars, 2, self._pairs), share_known(chars, RUN, self.runs)

    def setting(self, word: str) -> bool:
        """Whether the report uses ``word`` everywhere (idf below
        :data:`SIDE_MIN_IDF`: 中国, 全球): its setting, which a question need
        not name and which is no side of a comparison."""
        k = self.vocab.get(word)
        return k is not None and float(self.idf[k]) < SIDE_MIN_IDF  # type: ignore[index]

    def weight(self, word: str) -> float:
        """A key term's weight: its idf in the report; for a word the report
        never uses, the report's highest idf scaled by the word's rarity in
        general Chinese (a common word the report lacks is chatter)."""
        k = self.vocab.get(word)
        if k is not None:
            return max(float(self.idf[k]), 0.05)  # type: ignore[index]
        count = self._general.get(word)
        if not count:  # jieba keeps prefixes of its words with count 0
            return self.max_idf
        rarity = math.log(self._general_total / count)
        return self.max_idf * min(1.0, max(0.05, rarity / GENERAL_RARE) ** 2)

    def _words(self, body: str) -> list[tuple[str, str]]:
        """The tagged words of a question's body (its cues blanked), each
        blank-separated piece tagged apart with a :data:`BLANK` after it, then
        joined by :meth:`_joined`."""
        return self._joined([t for piece in body.split() for t in (*self.tokenizer.tagged(piece), BLANK)])

    def _joined(self, tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The tagged words, with a span of single characters that jieba could
        not place joined into one word when the report defines it as an
        abbreviation (要/用/个/保/法 → 个保法 → 个人信息保护法), and any other run
        of them (no stopword, no blank between) joined into one word too (综/试/区 →
        综试区): a term the answer must hold, which single characters are not,
        or a short form found spread out in its long form (数贸 in 数字贸易)."""
        out: list[tuple[str, str]] = []
        k = 0
        while k < len(tagged):
            joined = None
            if len(tagged[k][0]) == 1 and not tagged[k][0].isascii():
                end = k
                while end < len(tagged) and end - k < 5 and len(tagged[end][0]) == 1 and not tagged[end][0].isascii():
                    end += 1
                joined = next((j for j in range(end, k + 1, -1)
                               if self.aliases.expand("".join(w for w, _ in tagged[k:j]))), None)
            if joined is not None:
                out.append(("".join(w for w, _ in tagged[k:joined]), "n"))
                k = joined
            elif (run := self._run(tagged, k)) > k + 1:
                out.append(("".join(w for w, _ in tagged[k:run]), "x"))
                k = run
            else:
                if tagged[k] != BLANK:
                    out.append(tagged[k])
                k += 1
        return out

    def _run(self, tagged: list[tuple[str, str]], k: int) -> int:
        """Where the run of single Chinese characters that are no stopword,
        starting at ``k``, ends: five characters on at most (a longer run is
        cut into words of five)."""
        end = k
        while (end < len(tagged) and end - k < 5 and len(w := tagged[end][0]) == 1
               and "\u4e00" <= w <= "\u9fff" and w not in self.tokenizer.stopwords):
            end += 1
        return end

    def analyze(self, text: str) -> Question:
        """Analyse one question."""
        text = text.strip()
        norm = expand_years(normalize(text))
        asks = asked_kinds(norm)
        years = tuple(dict.fromkeys(YEAR.findall(norm)))
        month = MONTH.search(norm)
        numbers = tuple(dict.fromkeys(n for n in NUMBER.findall(norm) if not YEAR.fullmatch(n)))
        asked_kind = {m.group(1) for m in ASKED_KIND.finditer(norm)}
        body = YEAR_WORD.sub(r"\1 ", ORDINAL.sub(" ", strip_cues(norm)))  # an ordinal whole (not 第一 and 一届)
        terms: dict[str, float] = {}
        names: list[str] = [normalize(q) for q in QUOTED.findall(text) if q.strip()]
        stop = self.tokenizer.stopwords
        absent: list[str] = []
        for word, flag in (words := self._words(body)):
            if word in stop or names_nothing(word, flag):
                continue
            if (flag in PLACE_OR_ORG_FLAGS and len(word) >= 2 and not COMPASS.fullmatch(word)
                    and not self.mentions(word)):
                absent.append(word)
            if YEAR.fullmatch(word):
                continue  # years are specifics, matched on their own
            parts = [word]
            if word not in self.vocab and len(word) >= 3 and not word.isascii() and not self.long_form(word):
                known = [p for p in self.tokenizer.tokenize(word) if p != word and len(p) >= 2 and p in self.vocab]
                parts = known or parts
            for part in parts:
                terms[part] = max(terms.get(part, 0.0), self.weight(part))
            names.extend(self._named(word, flag, parts, asked_kind))
        if len(terms) > MAX_TERMS:  # bounded work per question, however long: its most specific terms
            keep = sorted(terms, key=lambda t: -terms[t])[:MAX_TERMS]
            terms = {t: terms[t] for t in terms if t in keep}
        numbers, names = numbers[:MAX_TERMS], names[:MAX_TERMS]
        # a word the report never uses may be its abbreviation of a name or word it does use; a word
        # it uses may have a form it defines as the same (wto: 世界贸易组织, 数贸会: 全球数字贸易博览会)
        expansions = {t: forms for t in (*terms, *names) if (forms := self.long_form(t))}
        sides_named = trade_sides(norm, words)
        side = sides_named[0] if sides_named else None
        search = " ".join([*self.content_words(norm), *(f for forms in expansions.values() for f in forms),
                           *([side] if side and side not in norm else [])])  # 卖到国外 searched as 出口 too
        sides = self.sides(body, terms, names) if {"comparison", "extreme"} & set(asks) or EACH.search(norm) else ()
        return Question(
            text=text, norm=norm, terms=MappingProxyType(terms),
            known=frozenset(t for t in terms if t in self.vocab), asks=asks, years=years,
            numbers=numbers, names=(named := tuple(dict.fromkeys(names))), trade_sides=sides_named,
            rate=(rate := bool(RATE_WORDS.search(norm))), share=bool(SHARE.search(norm)),
            percent=rate or bool(PERCENT_WORDS.search(norm)), direction=direction_asked(norm, asks),
            falling=bool(FALLING.search(norm)) and "extreme" in asks, search_text=search,
            sign=sign_asked(norm, asks),
            sides=sides, top_n=top_n(norm), rank_at=rank_at(norm), expansions=MappingProxyType(expansions),
            absent=tuple(dict.fromkeys(absent)),
            month=None if month is None else 12 if month.group(1) is None else int(month.group(1)),
            ordinals=ordinals(norm), ranks=ranks(norm), scopes=scopes(norm), table=table_named(norm),
            counted=counted_things(norm), measured=(measured := measured_things(norm, self.tokenizer.tagged)),
            measure_words=tuple(measure_words(m, self.tokenizer.tagged, self.weight) for m in measured),
            partner=counterpart(words), asked_names=asked_names(norm, named, asking := asking_parts(norm)),
            dated=dated_events(norm), wording=(wording := self.wording(text))[0], phrasing=wording[1], asking=asking,
        )

    def content_words(self, norm: str) -> list[str]:
        """The question's words less those that point or join (:data:`FUNCTION_FLAGS`):
        what lexical search reads of it (我国 is rare in the report, which writes 中国)."""
        return [w for w, f in self.tokenizer.tagged(norm) if f not in FUNCTION_FLAGS]

    def _named(self, word: str, flag: str, parts: list[str], asked_kind: set[str]) -> list[str]:
        """The names a tagged word of a question gives: the word, when jieba tags
        it a name (:data:`ENTITY_FLAGS`) and the report uses it; for a name the
        report does not use whole (美国市场, 辽宁省), its parts the report uses
        that jieba tags as names themselves (美国, 辽宁)."""
        if flag not in ENTITY_FLAGS:
            return []
        if word in self.vocab:
            return [word] if _may_name(word, asked_kind) else []
        return [p for p in parts if p in self.vocab and _may_name(p, asked_kind)
                and any(f in ENTITY_FLAGS for _, f in self.tokenizer.tagged(p))]

    def mentions(self, word: str) -> bool:
        """Whether the report uses ``word``, or dictionary parts of it that it
        uses cover every character (天府软件园 as 天府 and 软件园, 新兴国家 as 新兴
        and 国家 though not 兴国), or writes the word it shortens (:meth:`long_form`). A word of three or
        more characters may end in one character more (辽宁省 as 辽宁, 南京市 as
        南京): a suffix of place or kind."""
        if word in self.vocab or self.long_form(word):
            return True
        covered = [False] * len(word)
        for part in self.tokenizer.tokenize(word):
            if part != word and len(part) >= 2 and part in self.vocab:
                at = word.find(part)
                while at >= 0:
                    covered[at : at + len(part)] = [True] * len(part)
                    at = word.find(part, at + 1)
        return all(covered) or (len(word) >= 3 and all(covered[:-1]))

    def sides(self, body: str, terms: Mapping[str, float], names: list[str]) -> tuple[tuple[str, ...], ...]:
        """What a comparison sets against what. Names that are rare in the
        report (idf >= 1.5, so not ``中国`` as the setting) or joined to
        another (``中国和印度``) are sides of their own; failing two of those,
        the question is cut at its joiner (和, 与, 跟, 相比, 比) and each side
        is the terms only that half has."""
        plain = [n for n in names if not NUMBER.fullmatch(n)]
        joined = {t for t in plain for o in plain if o != t
                  and re.search(rf"{re.escape(t)}\s*[和与及、跟]?\s*{re.escape(o)}", body)}
        rare = [n for n in plain if n in joined or not self.setting(n)]
        if len(rare) >= 2:
            return tuple((n,) for n in dict.fromkeys(rare))
        for m in JOINER.finditer(body):
            before = {t for t in terms if 0 <= body.find(t) < m.start()}
            after = {t for t in terms if body.find(t, m.end()) >= m.end()}
            a, b = before - after, after - before
            if a and b:
                order = list(terms)
                return (tuple(sorted(a, key=order.index)), tuple(sorted(b, key=order.index)))
        return ()
