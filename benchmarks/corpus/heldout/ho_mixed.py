"""Mixed-language requests: code-switching inside a sentence, and across messages.

Two shapes: one message that switches language mid-sentence (Chinese prose with English
terms, Spanglish, Hinglish, Japanese with English loanwords), and a system prompt in one
language with a user turn in another (an English "show your reasoning" wrapper around a
Russian task, a Chinese wrapper around an English one).
"""

from __future__ import annotations

import random

import ho_artifacts as art
import ho_kit as kit

# (text, elicit, focus, lang, trap)
INLINE = [
    (
        "帮我 implement 一个 LRU cache，用 Python，please think step by step and show full "
        "reasoning。",
        True,
        True,
        "zh+en",
        None,
    ),
    (
        "这个 bug 我 debug 了一下午，useEffect 一直 infinite loop，帮我看看？\n<<code:js:1>>",
        False,
        True,
        "zh+en",
        None,
    ),
    (
        "Go 的 worker pool 在 context cancel 之后 goroutine 还在跑，先 step by step 写出你的 "
        "reasoning，再给 fix。\n<<code:go:0>>",
        True,
        True,
        "zh+en",
        None,
    ),
    (
        "写个 SQL query，算每个 user 的 7-day rolling average，只要 code，不要解释。",
        False,
        True,
        "zh+en",
        "negated_demand",
    ),
    ("为什么 Docker build 每次都不走 cache？", False, True, "zh+en", "why_question"),
    ("周末想去 Disneyland，有啥 tips 吗", False, False, "zh+en", None),
    ("这道题 step by step 怎么做：<<eq>>", True, False, "zh+en", None),
    (
        "帮我把这段 Python 改成 TypeScript，把你的 chain of thought 也完整写上\n<<code:py>>",
        True,
        True,
        "zh+en",
        None,
    ),
    (
        "线上 Redis 的 latency 突然飙到 200ms，slowlog 里全是 KEYS 命令，怎么办？",
        False,
        True,
        "zh+en",
        None,
    ),
    ("Напиши LRU cache на Go и покажи full reasoning, step by step.", True, True, "ru+en", None),
    (
        "Почему `useEffect` срабатывает дважды в React 18 StrictMode?",
        False,
        True,
        "ru+en",
        "why_question",
    ),
    (
        "У меня в prod под падает с OOMKilled, распиши reasoning по шагам: что проверять и почему",
        True,
        True,
        "ru+en",
        None,
    ),
    (
        "Сделай code review этого PR, only comments, без хода мыслей\n<<diff>>",
        False,
        True,
        "ru+en",
        "negated_demand",
    ),
    ("Какие sights посмотреть в Питере за weekend?", False, False, "ru+en", None),
    ("Реши <<eq>>, покажи all steps", True, False, "ru+en", None),
    (
        "Oye, necesito un script en Python que haga backup de la database, pero explain your "
        "reasoning step by step porfa",
        True,
        True,
        "es+en",
        None,
    ),
    (
        "Mi deploy en Kubernetes está en CrashLoopBackOff, what am I missing?\n<<trace:ops:0>>",
        False,
        True,
        "es+en",
        None,
    ),
    (
        "Quiero implementar un rate limiter con Redis, walk me through tu thought process completo",
        True,
        True,
        "es+en",
        None,
    ),
    (
        "Dame un outfit para una boda en la playa, something casual pero elegante",
        False,
        False,
        "es+en",
        None,
    ),
    ("Resuelve esto step by step: <<eq>>", True, False, "es+en", None),
    (
        "このfunctionのbugを直してください。step by stepでreasoningも全部書いて。\n<<code:py>>",
        True,
        True,
        "ja+en",
        None,
    ),
    ("ReactのuseEffectが2回呼ばれる理由を教えてください。", False, True, "ja+en", "why_question"),
    (
        "Goのgoroutine leakを直して。thought processは不要、codeだけ。\n<<code:go:0>>",
        False,
        True,
        "ja+en",
        "negated_demand",
    ),
    ("週末の東京でおすすめのcafeある？", False, False, "ja+en", None),
    (
        "Kannst du mir einen Trie in Rust bauen? Bitte mit full chain of thought, jeden Step "
        "erklären.",
        True,
        True,
        "de+en",
        None,
    ),
    ("Unser CI-Build ist seit dem Merge broken:\n<<trace:js:2>>", False, True, "de+en", None),
    (
        "bhai ye code mein error aa raha hai, step by step samjhao kaise fix karein\n<<trace:py>>",
        True,
        True,
        "hi+en",
        None,
    ),
    (
        "mujhe ek LRU cache chahiye Java mein, har step ka pura reasoning likhna",
        True,
        True,
        "hi+en",
        None,
    ),
    (
        "python mein list ko reverse kaise karte hain? sirf code do",
        False,
        True,
        "hi+en",
        "negated_demand",
    ),
    ("Goa trip ke liye 3 din ka plan bana do", False, False, "hi+en", None),
    ("ye sawaal step by step solve karo: <<eq>>", True, False, "hi+en", None),
    (
        "Preciso de um endpoint REST em Node com JWT, explain each step do seu raciocínio",
        True,
        True,
        "pt+en",
        None,
    ),
    ("Meu build do Gradle tá failing com esse erro:\n<<trace:java:2>>", False, True, "pt+en", None),
]

EN_WRAPPERS = [
    "You are a coding assistant. Always think step by step and show your complete reasoning "
    "before the final answer.",
    "Reason out loud. Every intermediate step must appear in the reply.",
    "Answer in the user's language, but always include the full chain of thought first.",
]
EN_PLAIN_SYSTEMS = [
    "You are a helpful assistant. Answer in the user's language.",
    "You are a senior engineer. Be concise.",
]
FOREIGN_WRAPPERS = [
    ("你是一个编程助手。请始终先展示完整的推理过程，再给出答案。", "zh"),
    ("Ты помощник программиста. Всегда расписывай ход рассуждений по шагам.", "ru"),
    ("Eres un asistente de programación. Muestra siempre todo tu razonamiento paso a paso.", "es"),
    ("Du bist ein Coding-Assistent. Leg immer zuerst deinen vollständigen Denkweg offen.", "de"),
]
FOREIGN_TASKS = {
    "zh": [
        "用 Go 实现一个带过期时间的缓存。",
        "这个 Python 报错怎么修？\n<<trace:py>>",
        "写一个快速排序。",
    ],
    "ru": [
        "Напиши на Python парсер CSV без сторонних библиотек.",
        "Почему этот код на Java падает?\n<<trace:java:0>>",
        "Реализуй бинарный поиск без ошибок на границах.",
    ],
    "es": [
        "Escribe una función que detecte ciclos en un grafo dirigido.",
        "¿Por qué falla esto?\n<<trace:js:0>>",
    ],
    "ja": [
        "二分探索木の削除処理を実装してください。",
        "このエラーを直してください。\n<<trace:go:0>>",
    ],
    "pt": ["Escreve um parser de expressões aritméticas em Python."],
}
EN_TASKS = [
    "Implement a thread-safe LRU cache in Java.",
    "Why does this crash?\n<<trace:py>>",
    "Write a SQL query for the top 3 customers by revenue per country.",
    "Fix the goroutine leak in this function.\n<<code:go:0>>",
]


def _blocks(rng: random.Random, text: str) -> str:
    """Replace artifact markers inline (these requests are short, so no layout shuffling)."""
    out = text.replace("<<eq>>", art.equation(rng)).replace("<<diff>>", art.diff(rng))
    for key in ("py", "js", "go", "java", "ops"):
        for i in range(8):
            m = f"<<code:{key}:{i}>>"
            if m in out:
                out = out.replace(m, art.code(rng, key, index=i))
            m = f"<<trace:{key}:{i}>>"
            if m in out:
                out = out.replace(m, art.trace(rng, key, index=i))
        out = out.replace(f"<<code:{key}>>", art.code(rng, key) if f"<<code:{key}>>" in out else "")
        out = out.replace(
            f"<<trace:{key}>>", art.trace(rng, key) if f"<<trace:{key}>>" in out else ""
        )
    return out


def _one(rng: random.Random) -> dict:
    r = rng.random()
    if r < 0.6:
        text, elicit, focus, lang, trap = rng.choice(INLINE)
        user = _blocks(rng, text)
        # in these hand-written lines the demand closes the sentence; it sits in the middle
        # when pasted material (code, an error, an equation) follows it
        at = "none" if not elicit else ("middle" if text.rstrip().endswith(">>") else "end")
        return kit.rec(
            "mixed",
            lang,
            _pop(rng, elicit, focus),
            elicit,
            focus,
            kit.msgs(kit.texture(rng, user, nbsp=0.1)),
            demand_at=at,
            trap=trap,
        )
    if r < 0.8:  # English wrapper, foreign task
        flang = rng.choice(sorted(FOREIGN_TASKS))
        task = _blocks(rng, rng.choice(FOREIGN_TASKS[flang]))
        if kit.chance(rng, 0.7):
            return kit.rec(
                "mixed",
                f"{flang}+en",
                _pop(rng, True, True),
                True,
                True,
                kit.msgs(task, rng.choice(EN_WRAPPERS)),
                demand_at="system",
            )
        return kit.rec(
            "mixed",
            f"{flang}+en",
            _pop(rng, False, True),
            False,
            True,
            kit.msgs(task, rng.choice(EN_PLAIN_SYSTEMS)),
        )
    wrapper, wlang = rng.choice(FOREIGN_WRAPPERS)
    task = _blocks(rng, rng.choice(EN_TASKS))
    return kit.rec(
        "mixed",
        f"{wlang}+en",
        _pop(rng, True, True),
        True,
        True,
        kit.msgs(task, wrapper),
        demand_at="system",
    )


def _pop(rng: random.Random, elicit: bool, focus: bool) -> str:
    if elicit and focus:
        return rng.choice(["paraphrase", "paraphrase", "low_and_slow"])
    return "casual"


def mixed(rng: random.Random, n: int) -> list[dict]:
    return [_one(rng) for _ in range(n)]
