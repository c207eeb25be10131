"""The phrase bank the sample generator composes customer texts from.

Each theme has templates with ``{slots}``; :mod:`voc.sample.text` fills the slots, adds openers, closers,
hedges, typos and channel style. Keep every string plain ASCII except where a channel calls for emoji.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """One planted theme: its label, polarity and the phrases that express it."""

    name: str
    label: str
    polarity: int  # -1 negative, 0 neutral, +1 positive
    category: str  # the help-desk category an agent would pick
    templates: tuple[str, ...]
    sarcastic: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    ivr: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()


THEMES: tuple[Theme, ...] = (
    Theme(
        "billing_error", "Billing errors and wrong charges", -1, "billing",
        (
            "I was charged twice this month, {amount} and then {amount2} for the same bill.",
            "my bill is wrong AGAIN, you've charged me {amount} for something I never ordered",
            "There's a {amount} charge on my account I don't recognise and nobody can explain it.",
            "you billed me for {product} after I returned it {days} days ago",
            "Direct debit took {amount} instead of the usual {amount2}. Where did the extra come from?",
            "the invoice says I owe {amount} but my online account says {amount2}, which one is it",
            "still waiting on a refund of {amount} for the double charge in {month}",
            "Overcharged {n} months in a row. I have screenshots of every bill.",
            "You took payment on the wrong date and now my bank has charged me a fee.",
            "Why is there a late payment fee when I paid on time??",
            "I've been billed for a {product} add-on I cancelled back in {month}.",
            "promised a credit of {amount} on my account, never showed up",
        ),
        sarcastic=(
            "Love being charged twice for the same month, really makes my day.",
            "Great, another mystery charge on my bill. Such a fun surprise every month.",
            "Oh brilliant, {amount} for nothing. Thanks so much {brand}.",
        ),
        titles=("Wrong bill again", "Double charged", "Billing is a mess", "Overcharged", "Refund still missing"),
        subjects=("Incorrect charge on my bill", "Double payment taken", "Refund request", "Query about my invoice"),
        ivr=("my bill is wrong", "billing", "i was charged twice", "wrong charge on my account"),
        hashtags=("#billing", "#overcharged", "#refund"),
    ),
    Theme(
        "price_increase", "Price increases", -1, "billing",
        (
            "my monthly price went up from {amount2} to {amount} with no warning",
            "Another price rise? That's the second one in a year.",
            "You've put my bill up by {pct}% mid-contract, how is that fair?",
            "the price increase letter was buried in an email nobody reads",
            "Loyal customer for {years} years and my reward is a price hike.",
            "new customers get the same plan for half what I pay",
            "{pct}% increase and the service hasn't improved one bit",
            "I can get the same deal elsewhere for {amount2} a month now that you've raised prices.",
            "The annual price rise is a joke, paying {amount} a month for basic {product}.",
        ),
        sarcastic=(
            "Ah yes, a price rise. Exactly what everyone needs right now, well done.",
            "So glad my loyalty is rewarded with a {pct}% increase. Fantastic.",
        ),
        titles=("Price hike again", "Too expensive now", "Not worth the new price", "Price rise mid contract"),
        subjects=("Price increase", "Why has my bill gone up?", "Complaint about price rise"),
        ivr=("price increase", "why has my bill gone up", "my price went up"),
        hashtags=("#pricehike", "#ripoff", "#costofliving"),
    ),
    Theme(
        "network_outage", "Network outages", -1, "network",
        (
            "no signal at all since {day}, can't make calls or use data",
            "Broadband has been down for {days} days and I work from home.",
            "the internet keeps dropping out every evening around {hour}pm",
            "Total outage in {city} again and the status page says everything is fine.",
            "Lost connection for {hours} hours yesterday, no explanation, no compensation.",
            "third outage this month. I pay for a service that simply doesn't work",
            "My {product} has had no service since the weekend.",
            "network down in my area, couldn't even call 999 if I needed to",
            "Wifi router shows red light, engineer visit booked for {days} days time. Unacceptable.",
        ),
        sarcastic=(
            "Great, another outage, just what I needed on a Monday.",
            "Wow, the internet's down again. Never saw that coming.",
            "Thanks {brand} for the surprise digital detox, third one this month.",
        ),
        titles=("Constant outages", "No signal for days", "Unreliable network", "Down again"),
        subjects=("Service outage", "No internet connection", "Loss of service - compensation"),
        ivr=("no signal", "my internet is down", "outage", "broadband not working"),
        hashtags=("#outage", "#down", "#nosignal"),
    ),
    Theme(
        "data_speed", "Slow data and speed", -1, "network",
        (
            "paying for {speed}Mbps and getting about {slow}Mbps on a good day",
            "Mobile data is painfully slow in the evenings, can't even load a web page.",
            "speed test says {slow} down, how am I supposed to stream anything",
            "My data allowance runs out way faster than it should, I barely use {gb}GB.",
            "4G is basically 3G speeds round here.",
            "Video calls freeze constantly because the upload speed is terrible.",
            "the broadband crawls after 6pm, buffering every few minutes",
            "I'm being throttled after {gb}GB even though my plan says unlimited.",
        ),
        sarcastic=(
            "Love watching the buffering wheel, it's my favourite show on {brand}.",
            "Superfast broadband they said. Super slow more like.",
        ),
        titles=("Slow speeds", "Not the speed I pay for", "Data too slow", "Constant buffering"),
        subjects=("Slow broadband speeds", "Data speed complaint", "Throttled data"),
        ivr=("slow internet", "my data is slow", "speed problem"),
        hashtags=("#slowinternet", "#buffering", "#speed"),
    ),
    Theme(
        "slow_delivery", "Slow delivery", -1, "delivery",
        (
            "ordered a new {device} {days} days ago and it still hasn't arrived",
            "Delivery was meant to be next day, it's been {days} days.",
            "my replacement SIM never turned up, had to order it {n} times",
            "Tracking has said 'out for delivery' since {day}.",
            "the courier left my {device} on the doorstep in the rain",
            "Still waiting for the router you promised would be here by {day}.",
            "Took over {weeks} weeks to get a phone I'd already paid for.",
        ),
        sarcastic=(
            "Ordered a {device} in {month}, maybe it'll arrive for Christmas. Amazing service.",
            "Quickest delivery ever, only {days} days for a SIM card.",
        ),
        titles=("Delivery took forever", "Still waiting for my order", "Late delivery", "Never arrived"),
        subjects=("Where is my order?", "Late delivery", "Missing SIM card"),
        ivr=("where is my order", "delivery", "my sim hasn't arrived"),
        hashtags=("#delivery", "#stillwaiting"),
    ),
    Theme(
        "app_crash", "App crashes", -1, "technical",
        (
            "the {brand} app crashes every time I open the bills section",
            "App keeps freezing and closing on my {phone}.",
            "can't check my usage because the app just shows a white screen",
            "The app force closes whenever I try to top up.",
            "your app is so buggy, crashed {n} times while I tried to pay",
            "Tried reinstalling the app, still crashes on launch.",
            "App hangs on the loading spinner forever then quits.",
        ),
        sarcastic=(
            "Really enjoying the app's new feature where it closes itself every {n} seconds.",
            "Great app, if you like watching it crash.",
        ),
        titles=("App is useless", "Crashes constantly", "Buggy app", "App keeps freezing"),
        subjects=("App not working", "App crashing", "Problem with the mobile app"),
        ivr=("the app", "app not working", "app keeps crashing"),
        hashtags=("#app", "#bug", "#crash"),
    ),
    Theme(
        "login_problems", "Login and password problems", -1, "account",
        (
            "I can't log in to my account, the password reset email never arrives",
            "Locked out of my account after {n} attempts and nobody can unlock it.",
            "password reset link says expired every single time",
            "The website won't accept my password even after I reset it.",
            "can't sign in, keeps saying my username doesn't exist",
            "Been locked out of My Account for {days} days now.",
            "Two-factor code goes to an old number I don't have anymore.",
        ),
        sarcastic=(
            "Resetting my password is now my favourite weekly hobby, thanks {brand}.",
        ),
        titles=("Can't log in", "Locked out", "Password reset broken"),
        subjects=("Cannot access my account", "Password reset not working", "Locked out"),
        ivr=("password reset", "i cant log in", "account locked"),
        hashtags=("#lockedout", "#password"),
    ),
    Theme(
        "rude_agent", "Rude agents", -1, "service",
        (
            "the agent I spoke to was rude and hung up on me",
            "Customer service rep was condescending and clearly didn't care.",
            "{agent} in your support team was incredibly dismissive.",
            "agent laughed when I explained the problem. Unprofessional.",
            "Was spoken to like an idiot by the person on the phone.",
            "your staff were rude, unhelpful and kept interrupting me",
            "The chat agent just copied and pasted answers and then closed the chat on me.",
        ),
        sarcastic=(
            "Loved being patronised by your agent, really the highlight of my week.",
            "Such charming customer service, the agent hung up on me twice.",
        ),
        titles=("Rude staff", "Awful customer service", "Treated like an idiot"),
        subjects=("Complaint about an agent", "Rude customer service", "Formal complaint"),
        ivr=("complaint", "make a complaint", "i want to complain"),
        hashtags=("#customerservice", "#rude", "#complaint"),
    ),
    Theme(
        "long_hold", "Long hold and wait times", -1, "service",
        (
            "on hold for {mins} minutes before anyone answered",
            "Waited over an hour on the phone only to get cut off.",
            "the queue said I was number {n} and it took {mins} mins",
            "Spent my whole lunch break listening to your hold music.",
            "Live chat wait time was {mins} minutes. Ridiculous.",
            "nobody answers the phone, I've tried {n} times today",
            "Held for {mins} minutes, transferred twice, then disconnected.",
        ),
        sarcastic=(
            "Your hold music is lovely, I've now heard it for {mins} minutes straight.",
            "Only {mins} minutes on hold today, must be a record.",
        ),
        titles=("Endless hold times", "Can't get through", "Waited forever"),
        subjects=("Unable to get through on the phone", "Long wait times"),
        ivr=("agent", "speak to a person", "operator", "let me talk to someone"),
        hashtags=("#onhold", "#waiting"),
    ),
    Theme(
        "hard_cancellation", "Hard to cancel", -1, "cancellation",
        (
            "I've been trying to cancel for {weeks} weeks and keep getting passed around",
            "Why is it so hard to cancel? There's no option online.",
            "asked to cancel three times and I'm still being billed",
            "The retention team wouldn't take no for an answer, I just want to leave.",
            "Cancelled in {month} and you're still taking money.",
            "You make leaving deliberately difficult. I want my PAC code.",
            "had to send a letter to cancel in {year}, are you serious",
        ),
        sarcastic=(
            "Cancelling {brand} is easier than escaping a maze. Oh wait, no it isn't.",
        ),
        titles=("Impossible to cancel", "Can't leave", "Cancellation nightmare"),
        subjects=("Cancel my contract", "Cancellation request", "Still billed after cancelling"),
        ivr=("cancel", "cancel my contract", "i want to leave", "cancellation"),
        hashtags=("#cancel", "#trapped"),
    ),
    Theme(
        "roaming_charges", "Roaming charges", -1, "billing",
        (
            "charged {amount} for roaming in {country} even though my plan includes EU roaming",
            "Came back from {country} to a {amount} roaming bill.",
            "nobody told me roaming wasn't included anymore",
            "The roaming bolt-on didn't work in {country}, I had no data the whole trip.",
            "Daily roaming fee of {amount2} is daylight robbery.",
        ),
        sarcastic=(
            "Thanks for the {amount} souvenir from my holiday in {country}, {brand}.",
        ),
        titles=("Roaming rip off", "Surprise roaming bill"),
        subjects=("Roaming charges dispute", "Unexpected roaming bill"),
        ivr=("roaming", "roaming charges"),
        hashtags=("#roaming", "#holiday"),
    ),
    Theme(
        "helpful_agent", "Helpful agents", 1, "service",
        (
            "{agent} on the phone was brilliant and sorted everything in minutes",
            "The agent was really patient and explained my bill clearly.",
            "shout out to {agent} in support, went above and beyond",
            "Chat support fixed my problem quickly, very friendly.",
            "The engineer was polite, on time and tidied up after himself.",
            "Your staff in the {city} store were so helpful.",
            "agent called me back like she promised, which I did not expect",
        ),
        titles=("Great support", "Helpful staff", "Thank you {agent}", "Problem solved fast"),
        subjects=("Thank you", "Compliment for your agent", "Great service"),
        ivr=("thank you", "it's sorted"),
        hashtags=("#greatservice", "#thankyou"),
    ),
    Theme(
        "product_quality", "Product quality praise", 1, "feedback",
        (
            "the {product} has been rock solid, no complaints at all",
            "Really happy with the speed and reliability of {product}.",
            "coverage is great everywhere I go, even in the countryside",
            "Fibre is fast, I get the full {speed}Mbps most of the time.",
            "Best network I've had, calls are crystal clear.",
            "The new {device} works perfectly and setup took {mins} minutes.",
            "Good value for money and it just works.",
        ),
        titles=("Excellent service", "Does what it says", "Really reliable", "Love it", "Five stars"),
        subjects=("Happy customer", "Positive feedback"),
        ivr=("everything is fine",),
        hashtags=("#happy", "#fastbroadband"),
    ),
    Theme(
        "feature_request", "Feature requests", 0, "feedback",
        (
            "it would be great if the app had {feature}",
            "Please add {feature}, every other provider has it.",
            "any plans for {feature}? would really help",
            "Would love {feature} in My Account.",
            "Suggestion: {feature}. Would make life a lot easier.",
            "wish there was {feature}",
            "Is {feature} coming anytime soon?",
        ),
        titles=("Needs {feature}", "Good but missing features", "Suggestion"),
        subjects=("Feature suggestion", "Idea for the app", "Request"),
        ivr=("question about my plan",),
        hashtags=("#featurerequest", "#idea"),
    ),
    Theme(
        "app_update_login", "App update broke login", -1, "technical",
        (
            "since the latest app update ({version}) I can't log in at all",
            "The {version} update broke login, stuck in a verification code loop.",
            "after updating the app it keeps asking for the verification code and never accepts it",
            "new app version logs me out straight away, Face ID login no longer works",
            "Updated the {brand} app last night and now it says 'session expired' every time I sign in.",
            "app update {version} = can't get into my account. Please roll it back",
            "Since the update the login screen just spins, then sends me back to the start.",
        ),
        sarcastic=(
            "Brilliant update, now nobody can log in. Great work {brand}.",
            "Love the new app update, really secure since it won't let me in at all.",
        ),
        titles=("Update broke login", "Can't sign in after update", "Latest version is broken"),
        subjects=("Can't log in since the app update", "Verification code loop after update"),
        ivr=("app update login problem", "cant log in since the update"),
        hashtags=("#appupdate", "#loginfail", "#fixit"),
    ),
)

THEME_BY_NAME: dict[str, Theme] = {t.name: t for t in THEMES}
EMERGING_THEME = "app_update_login"
NEGATIVE = tuple(t.name for t in THEMES if t.polarity < 0 and t.name != EMERGING_THEME)
POSITIVE = tuple(t.name for t in THEMES if t.polarity > 0)
NEUTRAL = tuple(t.name for t in THEMES if t.polarity == 0)
CATEGORIES = ("billing", "network", "delivery", "technical", "account", "service", "cancellation", "feedback")

SLOTS: dict[str, tuple[str, ...]] = {
    "product": ("Fibre 500", "Fibre 150", "Unlimited Mobile", "the SIM only plan", "Home Hub", "TV box",
                "broadband", "5G plan", "mobile plan", "Essentials bundle"),
    "device": ("router", "phone", "SIM card", "Home Hub", "TV box", "mesh booster", "tablet"),
    "phone": ("iPhone", "Pixel", "Samsung", "old Android phone", "iPad"),
    "feature": ("dark mode", "a usage widget", "split billing for family plans", "data rollover",
                "eSIM support", "a proper live chat", "paper-free bills", "an Apple Watch app",
                "spending caps", "a way to pause my plan", "Wi-Fi calling", "parental controls"),
    "agent": ("Sarah", "James", "Priya", "Tom", "Aisha", "Mark", "Chloe", "Daniel", "Fatima", "Liam"),
    "city": ("Leeds", "Manchester", "Bristol", "Glasgow", "Cardiff", "Norwich", "Brighton", "Leicester",
             "Belfast", "York"),
    "country": ("Spain", "France", "Italy", "Portugal", "Greece", "the US", "Turkey", "Switzerland"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "version": ("v5.2", "5.2.1", "v5.2.0", "version 5.2"),
}

OPENERS = {
    -1: ("", "", "", "Honestly, ", "Where do I start. ", "Not happy. ", "So ", "Fed up. ", "Hi, ",
         "Right, ", "Ugh. ", "Complaint: ", "Once again ", "I'm writing because "),
    0: ("", "", "Hi, ", "Quick one: ", "Just a thought - ", "Question: "),
    1: ("", "", "Just wanted to say ", "Credit where it's due: ", "Hi, ", "Have to say ", "Honestly, "),
}
CLOSERS = {
    -1: ("", "", "", "Sort it out.", "Considering leaving.", "Very disappointed.", "Not impressed.",
         "Will be looking elsewhere when my contract ends.", "Unbelievable.", "Please fix this!!",
         "I want this escalated.", "Absolute joke.", "What am I paying for?", "Last chance.",
         "Expect better from a company your size."),
    0: ("", "", "Thanks.", "Cheers.", "Otherwise all good.", "Thanks in advance."),
    1: ("", "", "Thanks!", "Keep it up.", "Happy customer.", "Would recommend.", "Cheers!", "10/10.",
        "Thank you so much."),
}
INTENSIFIERS = ("really", "so", "absolutely", "seriously", "ridiculously", "incredibly", "utterly", "beyond")
STRONG_NEG = ("THIS IS THE LAST STRAW.", "I AM SO ANGRY.", "Absolutely disgusting service.",
              "Worst company I have ever dealt with.", "Never again.", "Shocking.", "Not acceptable!!!",
              "I've had enough.")
HEDGES = ("I think ", "tbh ", "To be fair, ", "Maybe it's just me but ", "Not sure but ", "I guess ",
          "Honestly ", "idk, ")
MILD_POS = ("The app is fine otherwise.", "Signal is decent most days.", "The staff in store were nice.",
            "To be fair the agent was polite.")
MISSPELLINGS = {
    "definitely": "definately", "receive": "recieve", "separate": "seperate", "because": "becuase",
    "really": "realy", "account": "acount", "business": "buisness", "until": "untill",
    "payment": "payement", "their": "there", "ridiculous": "rediculous", "address": "adress",
    "cancelled": "canceled", "customer": "costumer", "tomorrow": "tommorow", "the": "teh",
}
EMOJI_NEG = ("😡", "🤬", "😤", "🙄", "👎", "😒", "💸", "📵")
EMOJI_POS = ("👍", "🙌", "😊", "❤️", "🔥", "👏", "⭐")
EMOJI_NEU = ("🤔", "🙏", "💡")
FIRST_NAMES = ("Sam", "Alex", "Jordan", "Chris", "Emma", "Olivia", "Noah", "Mia", "Harry", "Amelia", "Jack",
               "Isla", "Mohammed", "Grace", "Oscar", "Sophie", "Leo", "Ruby", "Ella", "George", "Zara",
               "Ravi", "Hannah", "Ben", "Lucy", "Kofi", "Megan", "Tariq", "Niamh", "Owen")
LAST_NAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
              "Khan", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall",
              "Murphy", "Clarke", "Okafor", "Nowak", "Rossi", "Silva", "Kelly")
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Lane", "Victoria Road", "Park Avenue",
           "Green Lane", "Manor Road", "Queens Road", "Kings Drive", "Elm Grove", "Albert Street")
TOWNS = (("Leeds", "LS1 4AB"), ("Manchester", "M14 5RG"), ("Bristol", "BS1 5TR"), ("Glasgow", "G12 8QQ"),
         ("Cardiff", "CF10 3AT"), ("Norwich", "NR2 1JD"), ("York", "YO1 7HH"), ("London", "SE15 4QN"),
         ("Brighton", "BN1 3FG"), ("Leicester", "LE1 6TP"))
EU_ADDRESSES = ("Hauptstrasse {n}, 10115 Berlin", "{n} rue de la Paix, 75002 Paris",
                "Calle Mayor {n}, 28013 Madrid", "Via Roma {n}, 00184 Roma",
                "Keizersgracht {n}, 1015 CJ Amsterdam")
CHAT_BOT_GREETINGS = (
    "Hi! I'm Ava, {brand}'s virtual assistant. What can I help you with today?",
    "Hello and welcome to {brand} chat. Tell me in a few words what you need help with.",
    "Hi there, I'm the {brand} assistant. How can I help?",
)
CHAT_BOT_HANDOFF = (
    "Thanks. I'm connecting you to one of our team now, the current wait is about {mins} minutes.",
    "I'll pass you to an agent who can help with that. Please hold on.",
    "Let me find someone who can help. You're number {n} in the queue.",
)
CHAT_AGENT_OPEN = (
    "Hi, you're speaking with {agent}. I'm sorry to hear that, let me take a look.",
    "Hello, {agent} here. Thanks for waiting, can you confirm your postcode please?",
    "Hi, I'm {agent} from the {brand} team. Let me check your account.",
)
CHAT_AGENT_MID = (
    "Thanks, I can see that on your account.", "I understand, let me check with my team.",
    "I've raised this with the relevant department.", "Could you tell me a bit more about when it started?",
    "I'm sorry for the inconvenience.", "I've added a note to your account.",
)
CHAT_AGENT_CLOSE = (
    "Is there anything else I can help with today?", "I've logged this for you, reference {ref}.",
    "Thanks for your patience, have a good day.", "You'll get an email confirming this shortly.",
)
CALL_AGENT_OPEN = (
    "Thanks for calling {brand}, you're speaking with {agent}, how can I help?",
    "Hello, {brand} customer services, {agent} speaking.",
    "Good morning, this is {agent} at {brand}. Can I take your account number?",
)
IVR_PROMPTS = (
    "Welcome to {brand}. In a few words, tell me why you're calling today.",
    "Thanks for calling {brand}. Please say what you're calling about.",
)
FILLERS = ("um", "uh", "yeah", "so", "like", "erm", "right")
