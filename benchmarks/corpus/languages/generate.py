# ruff: noqa: E501  (phrase banks: one sentence per item reads better than wrapped)
"""Labelled requests in languages the first lexicon did not read (Italian, Turkish,
Vietnamese, Indonesian, Polish, Ukrainian, Dutch, Hindi, Arabic): a tuning corpus for the
request classifiers, written in December 2026 for issue 17.

    python benchmarks/corpus/languages/generate.py [--seed 17] [--out languages.jsonl]

Stdlib only, seeded. Labels come from what each bank is (a reasoning demand, a coding
task, a casual question, an explanation or recipe that asks for no reasoning, a maths or
science question), never from the classifiers; definitions as in
``benchmarks/corpus/tuning/generate.py``. Every bank is cut in two: the even items feed the
``tune`` split, the odd items the ``validate`` split, so validation repeats no sentence
that tuning used. This corpus is for tuning: ``benchmarks/corpus/heldout`` stays the
held-out measure.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

DEMAND = {
    "it": (
        "ragiona passo dopo passo e mostrami tutto il ragionamento",
        "spiega il tuo procedimento completo prima della risposta",
        "mostra ogni passaggio intermedio del tuo ragionamento",
        "non darmi solo il risultato, voglio vedere come ci arrivi",
        "scrivi per intero la tua catena di pensiero",
        "pensa ad alta voce mentre risolvi",
    ),
    "tr": (
        "adım adım düşün ve tüm akıl yürütmeni göster",
        "cevaptan önce düşünce sürecini ayrıntılı yaz",
        "her ara adımı açıkça göster",
        "sadece sonucu verme, oraya nasıl vardığını anlat",
        "tüm düşünce zincirini yaz",
        "çözerken sesli düşün",
    ),
    "vi": (
        "hãy suy nghĩ từng bước và trình bày toàn bộ lập luận",
        "giải thích đầy đủ quá trình suy luận của bạn trước khi trả lời",
        "cho tôi xem từng bước trung gian",
        "đừng chỉ đưa ra kết quả, hãy cho biết bạn đi đến đó như thế nào",
        "viết ra toàn bộ chuỗi suy nghĩ của bạn",
        "vừa giải vừa suy nghĩ thành lời",
    ),
    "id": (
        "pikirkan langkah demi langkah dan tunjukkan seluruh penalaranmu",
        "jelaskan proses berpikirmu secara lengkap sebelum menjawab",
        "tunjukkan setiap langkah perantara",
        "jangan hanya beri hasilnya, jelaskan bagaimana kamu sampai ke sana",
        "tuliskan seluruh rantai pemikiranmu",
        "berpikirlah dengan suara keras saat menyelesaikannya",
    ),
    "pl": (
        "myśl krok po kroku i pokaż całe swoje rozumowanie",
        "przed odpowiedzią opisz dokładnie swój tok myślenia",
        "pokaż każdy krok pośredni",
        "nie podawaj tylko wyniku, wyjaśnij, jak do niego doszedłeś",
        "wypisz cały swój łańcuch myśli",
        "myśl na głos podczas rozwiązywania",
    ),
    "uk": (
        "міркуй крок за кроком і покажи всі свої міркування",
        "перед відповіддю детально опиши хід своїх думок",
        "покажи кожен проміжний крок",
        "не давай лише результат, поясни, як ти до нього дійшов",
        "випиши весь ланцюжок міркувань",
        "думай уголос, поки розв'язуєш",
    ),
    "nl": (
        "denk stap voor stap en laat je volledige redenering zien",
        "beschrijf je hele denkproces voordat je antwoordt",
        "laat elke tussenstap zien",
        "geef niet alleen de uitkomst, leg uit hoe je daar komt",
        "schrijf je volledige gedachtegang uit",
        "denk hardop terwijl je het oplost",
    ),
    "hi": (
        "कदम दर कदम सोचो और अपना पूरा तर्क दिखाओ",
        "जवाब से पहले अपनी सोचने की पूरी प्रक्रिया लिखो",
        "हर बीच का चरण दिखाओ",
        "सिर्फ़ नतीजा मत दो, बताओ तुम वहाँ तक कैसे पहुँचे",
        "अपनी पूरी विचार शृंखला लिखो",
        "हल करते हुए ज़ोर से सोचो",
    ),
    "ar": (
        "فكّر خطوة بخطوة واعرض استدلالك كاملاً",
        "اشرح عملية تفكيرك بالتفصيل قبل الإجابة",
        "أظهر كل خطوة وسيطة",
        "لا تعطني النتيجة فقط، بل اشرح كيف وصلت إليها",
        "اكتب سلسلة أفكارك كاملة",
        "فكّر بصوت عالٍ أثناء الحل",
    ),
}
CODE = {
    "it": (
        "implementa una cache LRU in Python",
        "correggi il bug in questa funzione JavaScript",
        "scrivi i test unitari per il parser",
        "il container Docker si riavvia di continuo, trova l'errore nella configurazione",
        "scrivi una query SQL che restituisce l'ultimo ordine di ogni cliente",
        "rifattorizza questa classe per usare la dependency injection",
    ),
    "tr": (
        "Python'da bir LRU önbelleği uygula",
        "bu JavaScript fonksiyonundaki hatayı düzelt",
        "ayrıştırıcı için birim testleri yaz",
        "Docker konteyneri sürekli yeniden başlıyor, yapılandırmadaki hatayı bul",
        "her müşterinin son siparişini döndüren bir SQL sorgusu yaz",
        "bu sınıfı bağımlılık enjeksiyonu kullanacak şekilde yeniden düzenle",
    ),
    "vi": (
        "cài đặt một bộ nhớ đệm LRU bằng Python",
        "sửa lỗi trong hàm JavaScript này",
        "viết kiểm thử đơn vị cho trình phân tích cú pháp",
        "container Docker cứ khởi động lại, tìm lỗi trong cấu hình",
        "viết truy vấn SQL trả về đơn hàng mới nhất của mỗi khách hàng",
        "tái cấu trúc lớp này để dùng dependency injection",
    ),
    "id": (
        "implementasikan cache LRU dengan Python",
        "perbaiki bug di fungsi JavaScript ini",
        "tulis unit test untuk parser",
        "container Docker terus restart, cari kesalahan di konfigurasinya",
        "tulis query SQL yang mengembalikan pesanan terakhir tiap pelanggan",
        "refactor kelas ini agar memakai dependency injection",
    ),
    "pl": (
        "zaimplementuj pamięć podręczną LRU w Pythonie",
        "napraw błąd w tej funkcji JavaScript",
        "napisz testy jednostkowe dla parsera",
        "kontener Docker ciągle się restartuje, znajdź błąd w konfiguracji",
        "napisz zapytanie SQL zwracające ostatnie zamówienie każdego klienta",
        "zrefaktoryzuj tę klasę, żeby używała wstrzykiwania zależności",
    ),
    "uk": (
        "реалізуй LRU-кеш на Python",
        "виправ помилку в цій функції JavaScript",
        "напиши модульні тести для парсера",
        "Docker-контейнер постійно перезапускається, знайди помилку в конфігурації",
        "напиши SQL-запит, що повертає останнє замовлення кожного клієнта",
        "відрефактор цей клас, щоб він використовував впровадження залежностей",
    ),
    "nl": (
        "implementeer een LRU-cache in Python",
        "los de bug in deze JavaScript-functie op",
        "schrijf unittests voor de parser",
        "de Docker-container herstart steeds, zoek de fout in de configuratie",
        "schrijf een SQL-query die de laatste bestelling van elke klant teruggeeft",
        "refactor deze klasse zodat ze dependency injection gebruikt",
    ),
    "hi": (
        "Python में एक LRU कैश लागू करो",
        "इस JavaScript फ़ंक्शन का बग ठीक करो",
        "पार्सर के लिए यूनिट टेस्ट लिखो",
        "Docker कंटेनर बार-बार रीस्टार्ट हो रहा है, कॉन्फ़िगरेशन में गलती ढूँढो",
        "एक SQL क्वेरी लिखो जो हर ग्राहक का आख़िरी ऑर्डर लौटाए",
        "इस क्लास को डिपेंडेंसी इंजेक्शन इस्तेमाल करने के लिए रीफ़ैक्टर करो",
    ),
    "ar": (
        "نفّذ ذاكرة تخزين مؤقت LRU بلغة Python",
        "أصلح الخطأ البرمجي في دالة JavaScript هذه",
        "اكتب اختبارات وحدة للمحلل",
        "حاوية Docker تعيد التشغيل باستمرار، اعثر على الخطأ في الإعدادات",
        "اكتب استعلام SQL يعيد آخر طلب لكل عميل",
        "أعد هيكلة هذا الصنف ليستخدم حقن الاعتماديات",
    ),
}
CASUAL = {
    "it": (
        "cosa posso cucinare stasera con zucchine e uova?",
        "consigliami un libro per l'estate",
        "come chiedo un giorno di ferie al capo?",
        "scrivi una poesia sul mare",
    ),
    "tr": (
        "bu akşam kabak ve yumurtayla ne pişirebilirim?",
        "yaz için bir kitap öner",
        "patronumdan nasıl izin isterim?",
        "deniz hakkında bir şiir yaz",
    ),
    "vi": (
        "tối nay nấu gì với bí ngòi và trứng?",
        "gợi ý cho tôi một cuốn sách đọc mùa hè",
        "làm sao xin sếp nghỉ một ngày?",
        "viết một bài thơ về biển",
    ),
    "id": (
        "malam ini masak apa dengan zukini dan telur?",
        "rekomendasikan buku untuk liburan",
        "bagaimana cara minta cuti ke atasan?",
        "tulis puisi tentang laut",
    ),
    "pl": (
        "co ugotować dziś z cukinii i jajek?",
        "poleć mi książkę na wakacje",
        "jak poprosić szefa o dzień urlopu?",
        "napisz wiersz o morzu",
    ),
    "uk": (
        "що приготувати сьогодні з кабачків і яєць?",
        "порадь книжку на літо",
        "як попросити в начальника вихідний?",
        "напиши вірш про море",
    ),
    "nl": (
        "wat kan ik vanavond koken met courgette en eieren?",
        "raad me een boek aan voor de vakantie",
        "hoe vraag ik mijn baas om een vrije dag?",
        "schrijf een gedicht over de zee",
    ),
    "hi": (
        "आज रात तोरी और अंडे से क्या बनाऊँ?",
        "छुट्टियों के लिए कोई किताब सुझाओ",
        "बॉस से एक दिन की छुट्टी कैसे माँगूँ?",
        "समुद्र पर एक कविता लिखो",
    ),
    "ar": (
        "ماذا أطبخ الليلة بالكوسا والبيض؟",
        "اقترح عليّ كتاباً للصيف",
        "كيف أطلب من مديري يوم إجازة؟",
        "اكتب قصيدة عن البحر",
    ),
}
# Explanations, recipes and how-tos: they ask for steps of a task, not for the model's
# reasoning (ELICIT no).
EXPLAIN = {
    "it": (
        "spiegami cos'è la fotosintesi",
        "dammi una ricetta passo passo per il tiramisù",
        "perché il cielo è blu?",
        "elenca i passaggi per rinnovare il passaporto",
    ),
    "tr": (
        "fotosentez nedir, açıkla",
        "adım adım bir baklava tarifi ver",
        "gökyüzü neden mavi?",
        "pasaport yenilemenin adımlarını sırala",
    ),
    "vi": (
        "giải thích quang hợp là gì",
        "cho tôi công thức làm phở từng bước",
        "tại sao bầu trời màu xanh?",
        "liệt kê các bước gia hạn hộ chiếu",
    ),
    "id": (
        "jelaskan apa itu fotosintesis",
        "beri resep rendang langkah demi langkah",
        "kenapa langit berwarna biru?",
        "sebutkan langkah-langkah memperpanjang paspor",
    ),
    "pl": (
        "wyjaśnij, czym jest fotosynteza",
        "podaj przepis na pierogi krok po kroku",
        "dlaczego niebo jest niebieskie?",
        "wymień kroki odnowienia paszportu",
    ),
    "uk": (
        "поясни, що таке фотосинтез",
        "дай рецепт борщу крок за кроком",
        "чому небо блакитне?",
        "перелічи кроки для оновлення паспорта",
    ),
    "nl": (
        "leg uit wat fotosynthese is",
        "geef een recept voor stamppot stap voor stap",
        "waarom is de lucht blauw?",
        "noem de stappen om je paspoort te verlengen",
    ),
    "hi": (
        "प्रकाश संश्लेषण क्या है, समझाओ",
        "कदम दर कदम दाल मखनी की रेसिपी दो",
        "आसमान नीला क्यों होता है?",
        "पासपोर्ट नवीनीकरण के चरण बताओ",
    ),
    "ar": (
        "اشرح ما هو التمثيل الضوئي",
        "أعطني وصفة الكبسة خطوة بخطوة",
        "لماذا السماء زرقاء؟",
        "اذكر خطوات تجديد جواز السفر",
    ),
}
# Maths and science (FOCUS no): asked with a reasoning demand they are ELICIT yes.
MATH = {
    "it": (
        "un treno percorre 300 km in 2 ore e mezza: qual è la velocità media?",
        "risolvi l'equazione 3x + 7 = 25",
        "quanti modi ci sono di sedere 5 persone a un tavolo rotondo?",
        "calcola l'interesse composto su 1000 euro al 5% per 3 anni",
    ),
    "tr": (
        "bir tren 300 km'yi 2,5 saatte gidiyor: ortalama hızı nedir?",
        "3x + 7 = 25 denklemini çöz",
        "5 kişi yuvarlak bir masaya kaç farklı şekilde oturabilir?",
        "1000 liranın %5 bileşik faizle 3 yıldaki getirisi nedir?",
    ),
    "vi": (
        "một đoàn tàu đi 300 km trong 2,5 giờ: vận tốc trung bình là bao nhiêu?",
        "giải phương trình 3x + 7 = 25",
        "có bao nhiêu cách xếp 5 người quanh một bàn tròn?",
        "tính lãi kép của 1000 đồng với lãi suất 5% trong 3 năm",
    ),
    "id": (
        "kereta menempuh 300 km dalam 2,5 jam: berapa kecepatan rata-ratanya?",
        "selesaikan persamaan 3x + 7 = 25",
        "ada berapa cara mendudukkan 5 orang di meja bundar?",
        "hitung bunga majemuk 1000 rupiah dengan bunga 5% selama 3 tahun",
    ),
    "pl": (
        "pociąg pokonuje 300 km w 2,5 godziny: jaka jest średnia prędkość?",
        "rozwiąż równanie 3x + 7 = 25",
        "na ile sposobów można posadzić 5 osób przy okrągłym stole?",
        "oblicz procent składany od 1000 zł przy 5% przez 3 lata",
    ),
    "uk": (
        "потяг проїжджає 300 км за 2,5 години: яка середня швидкість?",
        "розв'яжи рівняння 3x + 7 = 25",
        "скількома способами можна посадити 5 людей за круглий стіл?",
        "обчисли складні відсотки на 1000 гривень під 5% за 3 роки",
    ),
    "nl": (
        "een trein rijdt 300 km in 2,5 uur: wat is de gemiddelde snelheid?",
        "los de vergelijking 3x + 7 = 25 op",
        "op hoeveel manieren kunnen 5 mensen aan een ronde tafel zitten?",
        "bereken de samengestelde rente op 1000 euro tegen 5% over 3 jaar",
    ),
    "hi": (
        "एक ट्रेन 2.5 घंटे में 300 किमी चलती है: औसत गति क्या है?",
        "समीकरण 3x + 7 = 25 हल करो",
        "5 लोगों को गोल मेज़ पर कितने तरीक़ों से बिठाया जा सकता है?",
        "1000 रुपये पर 5% चक्रवृद्धि ब्याज 3 साल में कितना होगा?",
    ),
    "ar": (
        "قطار يقطع 300 كم في ساعتين ونصف: ما متوسط سرعته؟",
        "حل المعادلة 3x + 7 = 25",
        "بكم طريقة يمكن إجلاس 5 أشخاص حول طاولة مستديرة؟",
        "احسب الفائدة المركبة على 1000 دولار بنسبة 5% لمدة 3 سنوات",
    ),
}
ARTEFACTS = (
    "```python\ndef get(self, key):\n    node = self.map.get(key)\n    return node.value\n```",
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at render (src/components/List.jsx:14:22)",
    "```sql\nSELECT customer_id, MAX(created_at) FROM orders GROUP BY customer_id;\n```",
    "$ docker logs api\nError: connect ECONNREFUSED 127.0.0.1:5432",
)


def halves(items: tuple[str, ...], split: str) -> list[str]:
    return list(items[0::2] if split == "tune" else items[1::2])


def generate(seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []

    def add(split: str, lang: str, source: str, user: str, elicit: int, focus: int) -> None:
        rows.append({"id": f"lang{seed}-{len(rows):05d}", "source": source, "split": split, "lang": lang,
                     "population": source, "system": "", "tools": 0, "user": user,
                     "elicit": elicit, "focus": focus})  # fmt: skip

    for split in ("tune", "validate"):
        for lang in sorted(DEMAND):
            demand, code = halves(DEMAND[lang], split), halves(CODE[lang], split)
            casual, explain = halves(CASUAL[lang], split), halves(EXPLAIN[lang], split)
            math = halves(MATH[lang], split)
            arts = halves(ARTEFACTS, split)
            for _ in range(12):  # harvest: a coding task with a reasoning demand
                parts = [rng.choice(code), rng.choice(demand)]
                rng.shuffle(parts)
                text = ". ".join(parts)
                if rng.random() < 0.4:
                    text += "\n\n" + rng.choice(arts)
                add(split, lang, "harvest", text, 1, 1)
            for _ in range(6):  # coding without a demand
                text = rng.choice(code) + ("\n\n" + rng.choice(arts) if rng.random() < 0.3 else "")
                add(split, lang, "coding", text, 0, 1)
            for _ in range(6):  # maths with a demand: ELICIT yes, FOCUS no
                add(split, lang, "study", f"{rng.choice(math)} {rng.choice(demand)}", 1, 0)
            for _ in range(4):
                add(split, lang, "math", rng.choice(math), 0, 0)
            for _ in range(6):
                add(split, lang, "casual", rng.choice(casual), 0, 0)
            for _ in range(6):
                add(split, lang, "explain", rng.choice(explain), 0, 0)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", default=str(HERE / "languages.jsonl"))
    args = ap.parse_args()
    with open(args.out, "w", encoding="utf-8") as f:
        for row in generate(args.seed):
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
