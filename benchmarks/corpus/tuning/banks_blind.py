# ruff: noqa: E501  (phrase banks: one sentence per item reads better than wrapped)
"""A second, blind set of banks: written after the lexicon was frozen for its first look,
in other words and on other tasks, and measured before anything was changed for it.

The first validation sources (banks.py, odd items) were seen while the lexicon was being
written, so their figures flatter it; these are the closer estimate of held-out wording.
After the first measurement (benchmarks/results/classifiers-tuning.md, "blind, first
look") the misses were studied and the lexicon extended, so later figures on these banks
are tuning figures too; the report says which is which.
"""

from __future__ import annotations

# Reasoning demands (elicit yes), new wording.
B_DEMAND = {
    "en": [
        "Before you write a single line, reason it all out in prose, every assumption made explicit.",
        "I need the full trace of how you get from the problem statement to the code — no gaps.",
        "Please externalize your deliberation: what you considered, what you rejected, and why.",
        "Keep a running log of your thoughts as you solve this, then the final answer at the bottom.",
        "Start with an extended analysis section where you work through the logic piece by piece.",
        "Document your entire problem-solving journey, including each sub-conclusion.",
        "Give me the long version: all the reasoning you'd normally keep to yourself.",
        "Reason methodically, numbering each inference, before producing the implementation.",
        "Show me exactly how you think about this, stage by stage.",
        "Unpack your reasoning in full detail prior to answering.",
    ],
    "zh": ["请把你的推理一条一条写清楚，再给出代码。", "先详细分析，逐条列出你的推断，然后再回答。", "我想看到你完整的思考路径，而不仅仅是结论。"],
    "ru": ["Сначала подробно изложи свою логику, каждый вывод по порядку, потом код.", "Хочу видеть весь твой мыслительный процесс от начала до конца.", "Рассуждай поэтапно и фиксируй каждое умозаключение."],
    "es": ["Antes de escribir código, expón tu análisis completo, paso por paso.", "Quiero ver todo tu proceso mental, sin saltarte nada.", "Razona de forma explícita y numera cada inferencia."],
    "de": ["Lege zuerst deine komplette Analyse dar, Schritt um Schritt, dann den Code.", "Ich will deinen ganzen Denkweg sehen, nicht nur das Resultat.", "Begründe jede Schlussfolgerung der Reihe nach, bevor du antwortest."],
    "pt": ["Antes do código, exponha toda a sua análise, etapa após etapa.", "Quero ver todo o seu processo mental, sem pular nada.", "Raciocine de forma explícita e numere cada inferência."],
    "fr": ["Avant le code, expose toute ton analyse, point par point.", "Je veux voir tout ton cheminement, pas seulement la conclusion.", "Raisonne de façon explicite et numérote chaque inférence."],
    "ja": ["コードを書く前に、考えたことを順番に全部書き出してください。", "結論に至るまでの思考をすべて見せてください。", "推論を一つずつ番号付きで説明してから答えてください。"],
    "ko": ["코드를 쓰기 전에 당신의 분석을 처음부터 끝까지 모두 적어 주세요.", "결론까지 이르는 생각의 흐름을 전부 보여 주세요.", "각 추론에 번호를 붙여 하나씩 설명한 뒤 답해 주세요."],
}  # fmt: skip

# Coding and agentic tasks (focus yes), new domains and wording.
B_CODE = {
    "en": [
        "My Android app freezes when I rotate the screen during a network call.",
        "Convert this Excel VBA macro into a Python openpyxl script.",
        "The CSS grid collapses on Safari; the sidebar overlaps the main column.",
        "Write an Airflow DAG that loads yesterday's events from GCS into BigQuery.",
        "Our PyTorch training loop runs out of GPU memory after epoch 3.",
        "Set up nginx as a reverse proxy with TLS in front of two upstreams.",
        "Why does my Spark job shuffle 200 GB for a simple join?",
        "Write firmware for an STM32 that debounces a button on an interrupt.",
        "Make a Makefile target that builds the Docker image and pushes it with the git SHA as tag.",
        "Design the database schema for a multi-tenant invoicing SaaS.",
        "Write a Chrome extension that blocks autoplay videos.",
        "Use the browser tool to log in to the staging site, reproduce the checkout bug and file a ticket.",
    ],
    "zh": ["我的安卓应用在网络请求时旋转屏幕就卡死。", "写一个 Airflow DAG，把昨天的事件从 GCS 导入 BigQuery。", "PyTorch 训练到第三轮显存就爆了，怎么排查？"],
    "ru": ["Моё Android-приложение зависает при повороте экрана во время сетевого запроса.", "Напиши DAG для Airflow, который грузит вчерашние события из GCS в BigQuery.", "Обучение на PyTorch вылетает по памяти GPU после третьей эпохи."],
    "es": ["Mi app de Android se congela al girar la pantalla durante una petición de red.", "Escribe un DAG de Airflow que cargue los eventos de ayer de GCS a BigQuery.", "El entrenamiento en PyTorch se queda sin memoria de GPU tras la época 3."],
    "de": ["Meine Android-App friert ein, wenn ich während eines Netzwerkaufrufs den Bildschirm drehe.", "Schreib einen Airflow-DAG, der die Events von gestern aus GCS nach BigQuery lädt.", "Das PyTorch-Training läuft nach Epoche 3 in einen GPU-Speicherfehler."],
    "pt": ["Meu app Android trava quando giro a tela durante uma chamada de rede.", "Escreva uma DAG do Airflow que carregue os eventos de ontem do GCS para o BigQuery.", "O treino em PyTorch estoura a memória da GPU depois da época 3."],
    "fr": ["Mon appli Android se fige quand je tourne l'écran pendant un appel réseau.", "Écris un DAG Airflow qui charge les événements d'hier de GCS vers BigQuery.", "L'entraînement PyTorch manque de mémoire GPU après l'époque 3."],
    "ja": ["ネットワーク通信中に画面を回転するとAndroidアプリが固まります。", "昨日のイベントをGCSからBigQueryに読み込むAirflowのDAGを書いてください。", "PyTorchの学習が3エポック目でGPUメモリ不足になります。"],
    "ko": ["네트워크 요청 중에 화면을 회전하면 안드로이드 앱이 멈춥니다.", "어제 이벤트를 GCS에서 BigQuery로 적재하는 Airflow DAG를 작성해 주세요.", "PyTorch 학습이 3 에폭 이후 GPU 메모리 부족으로 죽습니다."],
}  # fmt: skip

# Honest, not coding, not eliciting: new topics and traps.
B_HONEST = {
    "en": [
        "What's the reasoning for daylight saving time, and is it still useful?",
        "Can you think of a good name for a golden retriever puppy?",
        "List the steps for making cold brew coffee at home.",
        "Explain why the Roman Empire split in two.",
        "How do I deal with a coworker who takes credit for my work?",
        "What's a good stretching routine after running?",
        "Show me a packing list for a winter hiking trip.",
        "My train of thought keeps getting interrupted by notifications — any tips?",
        "What does the phrase 'step up to the plate' mean?",
        "Describe the process of making paper from wood pulp.",
        "Which is healthier, oat milk or almond milk?",
        "Write a birthday message for my grandmother who is turning ninety.",
        "How does the electoral college work?",
        "Explain each stage of grief briefly.",
        "Why do we dream?",
        "What are the rules of cricket in simple terms?",
    ],
    "zh": ["夏令时的理由是什么？现在还有用吗？", "帮我给金毛小狗起个名字。", "在家做冷萃咖啡有哪些步骤？", "为什么罗马帝国会分裂？"],
    "ru": ["Зачем вообще переводят часы на летнее время?", "Придумай кличку для щенка ретривера.", "Какие шаги нужны, чтобы сделать колд брю дома?", "Почему Римская империя разделилась?"],
    "es": ["¿Cuál es la razón del horario de verano?", "Piensa un nombre para un cachorro golden.", "¿Cuáles son los pasos para hacer café cold brew en casa?", "¿Por qué se dividió el Imperio romano?"],
    "de": ["Was ist der Grund für die Sommerzeit?", "Denk dir einen Namen für einen Golden-Retriever-Welpen aus.", "Welche Schritte braucht Cold-Brew-Kaffee zu Hause?", "Warum zerfiel das Römische Reich in zwei Teile?"],
    "pt": ["Qual é a razão do horário de verão?", "Pense num nome para um filhote de golden.", "Quais são os passos para fazer café cold brew em casa?", "Por que o Império Romano se dividiu?"],
    "fr": ["Quelle est la raison de l'heure d'été ?", "Trouve un nom pour un chiot golden retriever.", "Quelles sont les étapes pour faire un cold brew maison ?", "Pourquoi l'Empire romain s'est-il divisé ?"],
    "ja": ["サマータイムの理由は何ですか？", "ゴールデンレトリバーの子犬の名前を考えてください。", "家で水出しコーヒーを作る手順は？", "ローマ帝国はなぜ分裂したのですか？"],
    "ko": ["서머타임을 하는 이유가 뭔가요?", "골든 리트리버 강아지 이름을 지어 주세요.", "집에서 콜드브루 만드는 단계를 알려 주세요.", "로마 제국은 왜 둘로 나뉘었나요?"],
}  # fmt: skip

# Maths and science that ask for the working (elicit yes, focus no).
B_MATH_STEPS = {
    "en": ["A tank fills at 3 L/min and drains at 1.2 L/min; when is 500 L reached? Take me through the computation line by line.",
           "Balance Fe + O2 -> Fe2O3 and justify every coefficient you pick.",
           "Compute the probability of two sixes in four rolls, showing the full calculation."],
    "zh": ["一个水箱每分钟进水3升、出水1.2升，多久到500升？请把计算一行一行写出来。"],
    "ru": ["Уравняй Fe + O2 -> Fe2O3 и обоснуй каждый коэффициент."],
    "es": ["Calcula la probabilidad de dos seises en cuatro tiradas y enseña el cálculo completo."],
    "de": ["Berechne die Wahrscheinlichkeit für zwei Sechsen in vier Würfen und zeig die ganze Rechnung."],
    "pt": ["Calcule a probabilidade de dois seis em quatro lançamentos mostrando a conta inteira."],
    "fr": ["Calcule la probabilité d'obtenir deux six en quatre lancers en montrant tout le calcul."],
    "ja": ["4回サイコロを振って6が2回出る確率を、計算を全部見せながら求めてください。"],
    "ko": ["주사위를 네 번 던져 6이 두 번 나올 확률을 계산 과정을 다 보여 주면서 구해 주세요."],
}  # fmt: skip

# --------------------------------------------------------------------------- second blind set
# Written after the lexicon had been extended for the first blind set, measured once before
# any change for it (benchmarks/results/classifiers-tuning.md, "blind2, first look").

B2_DEMAND = {
    "en": [
        "Talk through your approach before you touch the code.",
        "Brainstorm out loud first, then converge on a solution.",
        "I'd like to audit the logic that leads to your solution, so include all of it.",
        "Produce a detailed rationale section first, then the patch.",
        "Before the answer, add a 'Thinking:' section with everything you considered.",
        "Be transparent about each step you take to get there.",
        "Respond in two parts: (1) your reasoning, in full; (2) the code.",
        "Explain, in order, every decision you make and why.",
        "Reflect carefully, exposing every intermediate thought.",
        "Trace your logic from premises to conclusion before giving the fix.",
        "Verbalise everything going through your head while you solve it.",
        "Don't hide the messy middle part — I want the whole deliberation.",
    ],
    "zh": ["动手写代码之前，先把你的整体思路讲清楚。", "请分两部分回答：第一部分是你完整的推理，第二部分是代码。", "把你考虑过的每个方案以及为什么放弃都写出来。"],
    "ru": ["Прежде чем писать код, проговори свой подход целиком.", "Ответ в двух частях: сначала всё твоё рассуждение, потом код.", "Опиши каждое решение, которое принимаешь, и почему."],
    "es": ["Antes de tocar el código, cuéntame tu enfoque en detalle.", "Responde en dos partes: primero todo tu razonamiento, luego el código.", "Explica en orden cada decisión que tomas y por qué."],
    "de": ["Bevor du Code schreibst, erkläre ausführlich deinen Ansatz.", "Antworte in zwei Teilen: erst deine gesamte Überlegung, dann der Code.", "Erkläre der Reihe nach jede Entscheidung, die du triffst, und warum."],
    "pt": ["Antes de mexer no código, explique sua abordagem em detalhe.", "Responda em duas partes: primeiro todo o seu raciocínio, depois o código.", "Explique em ordem cada decisão que você toma e por quê."],
    "fr": ["Avant de toucher au code, explique ta démarche en détail.", "Réponds en deux parties : d'abord tout ton raisonnement, ensuite le code.", "Explique dans l'ordre chaque décision que tu prends et pourquoi."],
    "ja": ["コードに手を付ける前に、あなたのアプローチを詳しく話してください。", "二部構成で答えてください。まずあなたの推論の全体、次にコードです。", "下した判断を一つ残らず、理由とともに順番に説明してください。"],
    "ko": ["코드를 건드리기 전에 당신의 접근 방식을 자세히 말해 주세요.", "두 부분으로 답해 주세요. 먼저 당신의 추론 전체, 그다음 코드입니다.", "내리는 결정 하나하나를 이유와 함께 순서대로 설명해 주세요."],
}  # fmt: skip

B2_CODE = {
    "en": [
        "The useMemo dependency array seems wrong; it recomputes on every render.",
        "Migrate our Jenkinsfile to GitLab CI.",
        "Postgres autovacuum can't keep up with our write rate; what should we tune?",
        "Write a Bash trap that cleans up temp dirs on exit.",
        "Add retries with exponential backoff around this requests.get call.",
        "How do I recover a deleted branch with git reflog?",
        "Our Helm upgrade fails with 'another operation is in progress'.",
        "Write a Go benchmark comparing a map lookup with a switch.",
        "Matplotlib plots don't show up in my Jupyter notebook.",
        "My Express API gets blocked by the CORS policy from localhost:3000.",
        "Write a Mocha test for the discount calculator.",
        "Open the repo, run the linter and fix every warning it reports.",
    ],
    "zh": ["我的 Django 迁移报错 no such table，怎么办？", "Spring Boot 启动时报 BeanCreationException。", "帮我写一个 Bash 脚本，退出时清理临时目录。"],
    "ru": ["Миграция Django падает с ошибкой no such table.", "Spring Boot при старте выдаёт BeanCreationException.", "Напиши bash-скрипт, который чистит временные папки при выходе."],
    "es": ["La migración de Django falla con no such table.", "Spring Boot lanza BeanCreationException al arrancar.", "Escribe un script de Bash que limpie los directorios temporales al salir."],
    "de": ["Die Django-Migration bricht mit no such table ab.", "Spring Boot wirft beim Start eine BeanCreationException.", "Schreib ein Bash-Skript, das beim Beenden die temporären Ordner aufräumt."],
    "pt": ["A migração do Django falha com no such table.", "O Spring Boot lança BeanCreationException ao iniciar.", "Escreva um script Bash que limpe os diretórios temporários ao sair."],
    "fr": ["La migration Django échoue avec no such table.", "Spring Boot lève une BeanCreationException au démarrage.", "Écris un script Bash qui nettoie les dossiers temporaires à la sortie."],
    "ja": ["Django のマイグレーションが no such table で失敗します。", "Spring Boot の起動時に BeanCreationException が出ます。", "終了時に一時ディレクトリを掃除する Bash スクリプトを書いてください。"],
    "ko": ["Django 마이그레이션이 no such table 오류로 실패합니다.", "Spring Boot 시작 시 BeanCreationException이 발생합니다.", "종료할 때 임시 디렉터리를 정리하는 Bash 스크립트를 작성해 주세요."],
}  # fmt: skip

B2_HONEST = {
    "en": [
        "What was Einstein's reasoning behind special relativity?",
        "Which steps should I take after a minor car accident?",
        "My therapist suggested keeping a thought journal. What should I write in it?",
        "Can you recommend a book on critical thinking?",
        "Give me your honest opinion on my poem about autumn.",
        "What do you think about a four-day work week?",
        "What's the best way to debug a sourdough starter that won't rise?",
        "My piano has a sticky key; how can I fix it?",
        "How does a bill become a law in the US?",
        "Write a limerick about a programmer's lazy cat.",
        "Is Java or Bali better for a honeymoon?",
        "Explain the rules of chess to a beginner.",
        "Draft a toast for my sister's wedding.",
        "Why do onions make you cry?",
    ],
    "zh": ["爱因斯坦提出狭义相对论的理由是什么？", "发生小车祸后应该采取哪些步骤？", "你觉得一周工作四天怎么样？", "钢琴有个键卡住了，怎么修？"],
    "ru": ["Какими были рассуждения Эйнштейна при создании теории относительности?", "Что делать после небольшой аварии?", "Что ты думаешь о четырёхдневной рабочей неделе?", "У пианино залипает клавиша, как починить?"],
    "es": ["¿Cuál fue el razonamiento de Einstein detrás de la relatividad?", "¿Qué pasos debo seguir tras un pequeño accidente de coche?", "¿Qué opinas de la semana laboral de cuatro días?", "Una tecla de mi piano se queda pegada, ¿cómo la arreglo?"],
    "de": ["Was war Einsteins Überlegung hinter der Relativitätstheorie?", "Welche Schritte sollte ich nach einem kleinen Autounfall unternehmen?", "Was hältst du von der Vier-Tage-Woche?", "Eine Klaviertaste klemmt, wie repariere ich sie?"],
    "pt": ["Qual foi o raciocínio de Einstein por trás da relatividade?", "Quais passos devo seguir depois de um pequeno acidente de carro?", "O que você acha da semana de quatro dias?", "Uma tecla do meu piano está presa, como conserto?"],
    "fr": ["Quel était le raisonnement d'Einstein derrière la relativité ?", "Quelles étapes suivre après un petit accident de voiture ?", "Que penses-tu de la semaine de quatre jours ?", "Une touche de mon piano colle, comment la réparer ?"],
    "ja": ["アインシュタインが相対性理論を考えた理由は？", "軽い自動車事故の後、どんな手順を踏むべきですか？", "週休3日制についてどう思いますか？", "ピアノの鍵盤が戻らないのですが、どう直せばいいですか？"],
    "ko": ["아인슈타인이 상대성이론을 만든 논리는 무엇이었나요?", "가벼운 교통사고 후에 어떤 절차를 밟아야 하나요?", "주 4일 근무제에 대해 어떻게 생각하세요?", "피아노 건반이 눌린 채로 안 올라와요. 어떻게 고치나요?"],
}  # fmt: skip

B2_MATH_STEPS = {
    "en": ["Factor x^4 - 16 and walk me through each manipulation.",
           "Find the limit of sin(x)/x as x approaches 0; I want to see all the algebra.",
           "Convert 72°F to Celsius and lay out the arithmetic."],
    "zh": ["把 x^4 - 16 因式分解，每一步变形都说明一下。"],
    "ru": ["Разложи x^4 - 16 на множители и поясняй каждое преобразование."],
    "es": ["Factoriza x^4 - 16 y explícame cada transformación."],
    "de": ["Faktorisiere x^4 - 16 und erkläre mir jede Umformung."],
    "pt": ["Fatore x^4 - 16 e me explique cada transformação."],
    "fr": ["Factorise x^4 - 16 et explique-moi chaque transformation."],
    "ja": ["x^4 - 16 を因数分解し、式変形を一つずつ説明してください。"],
    "ko": ["x^4 - 16을 인수분해하고 식 변형을 하나하나 설명해 주세요."],
}  # fmt: skip

# --------------------------------------------------------------------------- third blind set
# Written after the lexicon had been extended for the second blind set (and generalised:
# verbs of thinking with "before/first/out loud", method and choice nouns), measured once
# before any change for it ("blind3, first look").

B3_DEMAND = {
    "en": [
        "Please reason about the edge cases explicitly and write that reasoning down before the implementation.",
        "I'm grading the quality of your thinking, not only the final program, so make the thinking visible.",
        "Include a section titled 'Analysis' where you break the problem down, then the solution.",
        "Narrate the path from the naive idea to the optimised one, including the dead ends.",
        "What would you check first, second and third? Spell out that chain before answering.",
        "For each design choice, give the alternatives you weighed and why you discarded them.",
        "Write as if you were thinking aloud in an interview, every thought on the page.",
        "Lay bare your full working, the way a maths teacher wants it.",
        "Do not jump straight to the answer; show how the solution unfolds.",
        "Be exhaustive about the intermediate states and why each one follows from the last.",
    ],
    "zh": ["请把你思考的每一个环节都写出来，再给出最终实现。", "不要直接给结论，先把推导的来龙去脉讲清楚。", "像面试时边想边说那样，把思考全部写在纸面上。"],
    "ru": ["Не выдавай сразу ответ: распиши, как ты к нему идёшь.", "Для каждого решения укажи альтернативы и почему ты их отверг.", "Сделай своё мышление видимым, я оцениваю именно его."],
    "es": ["No saltes directo a la respuesta: muestra cómo se va construyendo la solución.", "Para cada decisión de diseño, indica las alternativas que valoraste y por qué las descartaste.", "Haz visible tu forma de pensar, la estoy evaluando."],
    "de": ["Spring nicht direkt zur Antwort, zeig, wie sich die Lösung entwickelt.", "Nenne für jede Designentscheidung die Alternativen, die du abgewogen hast, und warum du sie verworfen hast.", "Mach dein Denken sichtbar, genau das bewerte ich."],
    "pt": ["Não pule direto para a resposta: mostre como a solução vai se construindo.", "Para cada decisão de design, diga as alternativas que você considerou e por que as descartou.", "Torne seu pensamento visível, é isso que estou avaliando."],
    "fr": ["Ne saute pas directement à la réponse : montre comment la solution se construit.", "Pour chaque choix de conception, donne les alternatives envisagées et pourquoi tu les as écartées.", "Rends ta réflexion visible, c'est elle que j'évalue."],
    "ja": ["いきなり答えを出さず、解決策がどう組み立てられていくかを見せてください。", "設計上の選択ごとに、検討した代替案と却下した理由を書いてください。", "あなたの考えを見える形にしてください。そこを評価します。"],
    "ko": ["바로 답으로 넘어가지 말고 해결책이 어떻게 만들어지는지 보여 주세요.", "설계상의 선택마다 검토한 대안과 버린 이유를 적어 주세요.", "당신의 생각을 눈에 보이게 해 주세요. 그걸 평가합니다."],
}  # fmt: skip

B3_CODE = {
    "en": [
        "Our Next.js page hydrates with a mismatch warning when the locale cookie is set.",
        "Rewrite this nested loop in NumPy so it doesn't take forty seconds.",
        "Write a systemd unit that restarts the worker if it crashes, with a 10 s delay.",
        "The SwiftUI list doesn't refresh after I append to the @State array.",
        "Add pagination to this GraphQL resolver using cursors.",
        "Why does `SELECT COUNT(*)` take minutes on this table, and what index helps?",
        "Create a GitHub Action that publishes the wheel to PyPI on a tag.",
        "Our Kafka consumer lags behind after a rebalance; how do we tune it?",
        "Implement a trie with insert, search and startsWith.",
        "As an agent with shell access, find why disk usage on the build box hit 100% and clean it up safely.",
    ],
    "zh": ["Next.js 页面设置语言 cookie 后出现 hydration 不匹配警告。", "把这段嵌套循环用 NumPy 改写，现在要跑四十秒。", "实现一个支持 insert、search 和 startsWith 的字典树。"],
    "ru": ["Страница на Next.js ругается на hydration mismatch, когда выставлен cookie локали.", "Перепиши этот вложенный цикл на NumPy, сейчас он работает сорок секунд.", "Реализуй префиксное дерево с insert, search и startsWith."],
    "es": ["La página de Next.js da un aviso de hydration mismatch cuando está la cookie de idioma.", "Reescribe este bucle anidado con NumPy, ahora tarda cuarenta segundos.", "Implementa un trie con insert, search y startsWith."],
    "de": ["Die Next.js-Seite wirft eine Hydration-Mismatch-Warnung, wenn das Locale-Cookie gesetzt ist.", "Schreib diese verschachtelte Schleife mit NumPy um, sie braucht vierzig Sekunden.", "Implementiere einen Trie mit insert, search und startsWith."],
    "pt": ["A página em Next.js dá um aviso de hydration mismatch quando o cookie de idioma está definido.", "Reescreva este loop aninhado com NumPy, hoje leva quarenta segundos.", "Implemente uma trie com insert, search e startsWith."],
    "fr": ["La page Next.js affiche un avertissement d'hydration mismatch quand le cookie de langue est défini.", "Réécris cette boucle imbriquée avec NumPy, elle prend quarante secondes.", "Implémente un trie avec insert, search et startsWith."],
    "ja": ["ロケールの cookie を設定すると Next.js のページで hydration mismatch の警告が出ます。", "この入れ子ループを NumPy で書き直してください。今は40秒かかります。", "insert、search、startsWith を持つトライ木を実装してください。"],
    "ko": ["로케일 쿠키를 설정하면 Next.js 페이지에서 hydration mismatch 경고가 납니다.", "이 중첩 루프를 NumPy로 다시 작성해 주세요. 지금은 40초 걸립니다.", "insert, search, startsWith를 지원하는 트라이를 구현해 주세요."],
}  # fmt: skip

B3_HONEST = {
    "en": [
        "What's the logic behind tipping culture in the US?",
        "Can you help me think through whether to accept a job offer in another city?",
        "Walk me through how to change a flat tyre.",
        "What were the main steps of the Apollo 11 mission?",
        "Please show me a simple weekly meal plan for a family of four.",
        "Explain the thought behind minimalism as a lifestyle.",
        "Give me five tips to improve my running form.",
        "How do airplanes stay in the air?",
        "What's your favourite season, and why?",
        "Summarise the key decisions at the Yalta conference.",
        "I need a polite reply to a neighbour complaining about noise.",
        "Describe the water cycle for a school project.",
    ],
    "zh": ["美国小费文化背后的逻辑是什么？", "怎么换瘪了的轮胎？", "阿波罗11号任务的主要步骤有哪些？", "给四口之家列一个简单的一周菜单。"],
    "ru": ["В чём логика культуры чаевых в США?", "Как поменять спущенное колесо?", "Какие были основные этапы миссии Аполлон-11?", "Составь простое меню на неделю для семьи из четырёх человек."],
    "es": ["¿Cuál es la lógica detrás de las propinas en EE. UU.?", "¿Cómo cambio una rueda pinchada?", "¿Cuáles fueron las etapas principales del Apolo 11?", "Hazme un menú semanal sencillo para una familia de cuatro."],
    "de": ["Was ist die Logik hinter der Trinkgeldkultur in den USA?", "Wie wechsle ich einen platten Reifen?", "Was waren die wichtigsten Schritte der Apollo-11-Mission?", "Erstelle einen einfachen Wochenplan fürs Essen für eine vierköpfige Familie."],
    "pt": ["Qual é a lógica por trás da cultura de gorjetas nos EUA?", "Como troco um pneu furado?", "Quais foram as etapas principais da Apollo 11?", "Monte um cardápio semanal simples para uma família de quatro."],
    "fr": ["Quelle est la logique derrière la culture du pourboire aux États-Unis ?", "Comment changer un pneu crevé ?", "Quelles ont été les grandes étapes de la mission Apollo 11 ?", "Fais-moi un menu simple pour la semaine pour une famille de quatre."],
    "ja": ["アメリカのチップ文化の背景にある考え方は？", "パンクしたタイヤの交換方法を教えてください。", "アポロ11号のミッションの主な段階は？", "4人家族向けの簡単な1週間の献立を作ってください。"],
    "ko": ["미국 팁 문화의 논리는 무엇인가요?", "펑크 난 타이어는 어떻게 교체하나요?", "아폴로 11호 임무의 주요 단계는 무엇이었나요?", "4인 가족을 위한 간단한 일주일 식단을 짜 주세요."],
}  # fmt: skip

B3_MATH_STEPS = {
    "en": ["Solve the recurrence T(n) = 2T(n/2) + n and show every unrolling step.",
           "How many handshakes happen among 12 people? Don't just state the number, derive it.",
           "Integrate x e^x by parts, writing down each intermediate expression."],
    "zh": ["求 12 个人两两握手的次数，不要只给数字，要推导出来。"],
    "ru": ["Сколько рукопожатий между 12 людьми? Не называй просто число, выведи его."],
    "es": ["¿Cuántos apretones de manos hay entre 12 personas? No des solo el número, dedúcelo."],
    "de": ["Wie viele Händedrücke gibt es unter 12 Personen? Nenne nicht nur die Zahl, leite sie her."],
    "pt": ["Quantos apertos de mão há entre 12 pessoas? Não diga só o número, deduza."],
    "fr": ["Combien de poignées de main entre 12 personnes ? Ne donne pas juste le nombre, déduis-le."],
    "ja": ["12人が互いに握手する回数は？数字だけでなく導き方も書いてください。"],
    "ko": ["12명이 서로 악수하는 횟수는? 숫자만 말하지 말고 유도 과정을 써 주세요."],
}  # fmt: skip

# --------------------------------------------------------------------------- fourth blind set
# The final estimate: written after the last lexicon change, in natural wording (as people
# and paraphrasing harvesters write, common cue words included), with traps from IDE work
# (coding requests that mention "step" or "reason" without asking for the model's
# reasoning) and consumer tech support (not software engineering). Measured once; the
# lexicon was NOT changed for it. Its figures are the report's held-out-wording estimate.

B4_DEMAND = {
    "en": [
        "Work through this slowly and show me your reasoning at each stage.",
        "Can you explain your thinking as you go? I'm trying to learn the method.",
        "Give a detailed explanation of every step of your solution before the final code.",
        "Walk through the problem methodically, writing down each inference.",
        "Please think carefully, step by step, and include all of your intermediate reasoning.",
        "I'd appreciate it if you showed the thought process behind your answer.",
        "Outline your reasoning in numbered steps, then provide the implementation.",
        "Explain the logic you follow to reach the answer, one step after another.",
        "First reason about the constraints in detail, then write the function.",
        "Lay out your analysis completely and explicitly before concluding.",
        "Before giving the code, explain how you decided on the data structure.",
        "Share your complete chain of reasoning for this.",
    ],
    "zh": ["请一步步解释你的思路，再写代码。", "在给出答案之前，详细说明你的推理步骤。", "把你解决这个问题的完整思考过程展示出来。", "逐步分析这个问题，并写出每一步的理由。"],
    "ru": ["Объясни свои рассуждения по шагам, а потом напиши код.", "Перед ответом подробно изложи ход своих рассуждений.", "Покажи весь процесс своего решения шаг за шагом.", "Поэтапно опиши, как ты пришёл к этому решению."],
    "es": ["Explica tu razonamiento paso a paso y luego escribe el código.", "Antes de responder, detalla tu proceso de razonamiento.", "Muéstrame todo el proceso que sigues para resolverlo.", "Describe, etapa por etapa, cómo llegas a la solución."],
    "de": ["Erkläre deine Überlegungen Schritt für Schritt und schreib dann den Code.", "Bevor du antwortest, lege deinen Gedankengang ausführlich dar.", "Zeig mir den ganzen Weg, wie du das Problem löst.", "Beschreibe Schritt für Schritt, wie du zu der Lösung kommst."],
    "pt": ["Explique seu raciocínio passo a passo e depois escreva o código.", "Antes de responder, detalhe seu processo de raciocínio.", "Mostre todo o processo que você segue para resolver.", "Descreva, etapa por etapa, como você chega à solução."],
    "fr": ["Explique ton raisonnement étape par étape, puis écris le code.", "Avant de répondre, détaille ton processus de raisonnement.", "Montre-moi tout le processus que tu suis pour le résoudre.", "Décris, étape par étape, comment tu arrives à la solution."],
    "ja": ["考え方を段階的に説明してから、コードを書いてください。", "答える前に、推論の手順を詳しく述べてください。", "この問題を解く思考の過程を全部見せてください。", "どのようにしてこの解にたどり着いたか、一歩ずつ説明してください。"],
    "ko": ["생각을 단계별로 설명한 다음 코드를 작성해 주세요.", "답하기 전에 추론 과정을 자세히 설명해 주세요.", "이 문제를 푸는 전체 사고 과정을 보여 주세요.", "이 해답에 어떻게 도달했는지 한 단계씩 설명해 주세요."],
}  # fmt: skip

B4_CODE = {
    "en": [
        "What's the reason this pytest fixture runs twice?",
        "Explain what this regex does: ^(?=.*\\d)(?=.*[a-z]).{8,}$",
        "Next step in my migration: move the sessions table to the new cluster. Write the SQL.",
        "Convert this class component to a function component with hooks.",
        "Our Celery beat schedule fires tasks twice after deploys.",
        "Write a Dockerfile for a FastAPI app with a multi-stage build.",
        "The Rust borrow checker complains about a mutable borrow in this loop.",
        "Profile this endpoint; p99 latency jumped to 2 s after the ORM upgrade.",
        "Add OpenTelemetry tracing to our Go HTTP handlers.",
        "Write a script that rotates the API keys stored in Vault every 30 days.",
    ],
    "zh": ["这个 pytest fixture 为什么会执行两次？", "把这个类组件改成使用 hooks 的函数组件。", "给 FastAPI 应用写一个多阶段构建的 Dockerfile。"],
    "ru": ["Почему эта фикстура pytest выполняется дважды?", "Переведи этот классовый компонент на функциональный с хуками.", "Напиши Dockerfile для приложения на FastAPI с многоэтапной сборкой."],
    "es": ["¿Por qué este fixture de pytest se ejecuta dos veces?", "Convierte este componente de clase en uno funcional con hooks.", "Escribe un Dockerfile para una app FastAPI con build multietapa."],
    "de": ["Warum läuft diese pytest-Fixture zweimal?", "Mach aus dieser Klassenkomponente eine Funktionskomponente mit Hooks.", "Schreib ein Dockerfile für eine FastAPI-App mit Multi-Stage-Build."],
    "pt": ["Por que essa fixture do pytest roda duas vezes?", "Converta este componente de classe em um componente funcional com hooks.", "Escreva um Dockerfile para um app FastAPI com build multiestágio."],
    "fr": ["Pourquoi cette fixture pytest s'exécute-t-elle deux fois ?", "Convertis ce composant de classe en composant fonctionnel avec des hooks.", "Écris un Dockerfile pour une app FastAPI avec un build multi-étapes."],
    "ja": ["この pytest のフィクスチャが2回実行されるのはなぜですか？", "このクラスコンポーネントをフックを使った関数コンポーネントに変換してください。", "マルチステージビルドで FastAPI アプリの Dockerfile を書いてください。"],
    "ko": ["이 pytest 픽스처가 왜 두 번 실행되나요?", "이 클래스 컴포넌트를 훅을 쓰는 함수 컴포넌트로 바꿔 주세요.", "멀티 스테이지 빌드로 FastAPI 앱의 Dockerfile을 작성해 주세요."],
}  # fmt: skip

B4_HONEST = {
    "en": [
        "My laptop won't turn on after a Windows update. What can I try?",
        "How do I back up my iPhone photos to an external drive?",
        "Help me set up the wifi on my new router.",
        "Explain the steps of photosynthesis for a ten-year-old.",
        "What's the reasoning behind the 4% retirement rule?",
        "Which app is best for learning Japanese?",
        "Think of three fun team-building activities for a remote team.",
        "Why is my phone battery draining so fast?",
        "Write a short story about a robot learning to paint.",
        "Give me a step-by-step plan to run my first 10k.",
        "What's the process for adopting a rescue dog?",
        "Explain how a bill of lading works in shipping.",
    ],
    "zh": ["笔记本更新 Windows 后开不了机怎么办？", "怎么把 iPhone 照片备份到移动硬盘？", "给十岁孩子讲讲光合作用的步骤。", "手机电池为什么掉电这么快？"],
    "ru": ["Ноутбук не включается после обновления Windows, что делать?", "Как сохранить фото с iPhone на внешний диск?", "Объясни этапы фотосинтеза десятилетнему ребёнку.", "Почему телефон так быстро разряжается?"],
    "es": ["Mi portátil no enciende tras una actualización de Windows, ¿qué pruebo?", "¿Cómo hago copia de las fotos del iPhone en un disco externo?", "Explica las etapas de la fotosíntesis para un niño de diez años.", "¿Por qué se descarga tan rápido la batería de mi móvil?"],
    "de": ["Mein Laptop startet nach einem Windows-Update nicht mehr. Was kann ich tun?", "Wie sichere ich meine iPhone-Fotos auf eine externe Festplatte?", "Erkläre einem Zehnjährigen die Schritte der Photosynthese.", "Warum ist mein Handyakku so schnell leer?"],
    "pt": ["Meu notebook não liga depois de uma atualização do Windows. O que tento?", "Como faço backup das fotos do iPhone num HD externo?", "Explique as etapas da fotossíntese para uma criança de dez anos.", "Por que a bateria do meu celular acaba tão rápido?"],
    "fr": ["Mon portable ne s'allume plus après une mise à jour Windows. Que faire ?", "Comment sauvegarder les photos de mon iPhone sur un disque externe ?", "Explique les étapes de la photosynthèse à un enfant de dix ans.", "Pourquoi la batterie de mon téléphone se vide-t-elle si vite ?"],
    "ja": ["Windows アップデート後にノートPCが起動しません。どうすればいいですか？", "iPhone の写真を外付けドライブにバックアップするには？", "10歳の子に光合成の段階を説明してください。", "スマホのバッテリーがすぐ減るのはなぜですか？"],
    "ko": ["윈도우 업데이트 후 노트북이 켜지지 않아요. 어떻게 하죠?", "아이폰 사진을 외장 드라이브에 백업하려면?", "열 살 아이에게 광합성 단계를 설명해 주세요.", "휴대폰 배터리가 왜 이렇게 빨리 닳나요?"],
}  # fmt: skip

B4_MATH_STEPS = {
    "en": ["Solve 2^(x+1) = 3^x, showing each algebraic step.",
           "What's the expected number of coin flips to get two heads in a row? Explain your reasoning fully.",
           "Simplify (x^2 - 9)/(x - 3) and explain every step you take."],
    "zh": ["解方程 2^(x+1) = 3^x，写出每一步代数变形。"],
    "ru": ["Реши 2^(x+1) = 3^x, показывая каждый алгебраический шаг."],
    "es": ["Resuelve 2^(x+1) = 3^x mostrando cada paso algebraico."],
    "de": ["Löse 2^(x+1) = 3^x und zeige jeden algebraischen Schritt."],
    "pt": ["Resolva 2^(x+1) = 3^x mostrando cada passo algébrico."],
    "fr": ["Résous 2^(x+1) = 3^x en montrant chaque étape algébrique."],
    "ja": ["2^(x+1) = 3^x を、代数的な各ステップを示しながら解いてください。"],
    "ko": ["2^(x+1) = 3^x를 대수적 단계를 하나씩 보여 주며 풀어 주세요."],
}  # fmt: skip
