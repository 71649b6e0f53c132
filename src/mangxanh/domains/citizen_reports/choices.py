"""What a citizen may say is wrong, in plain words, and the taxonomy category each choice files under.

The choices are the reporter's words, not the law's: "lừa đảo, chiếm đoạt tiền" rather than
SCAM_FRAUD. Child abuse is first on the page and has a path of its own (no screenshots, the
hotlines shown). "Something else" files under the least severe category; the analyst who decides
the case names the real one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mangxanh.core.analysis.types import msgid


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    label: str  # English msgid, shown translated
    hint: str
    category: str


CHILD_ABUSE = "child_abuse"

CHOICES: tuple[Choice, ...] = (
    Choice(CHILD_ABUSE, msgid("Sexual abuse or exploitation of a child"),
           msgid("Images, videos or messages that sexually abuse or exploit a child, or lure a child."), "CSAM"),
    Choice("child_harm", msgid("A child bullied, exposed or put in danger"),
           msgid("A pupil insulted or threatened, a child's photo, name, school or address spread."),
           "CHILD_PRIVACY_BULLY"),
    Choice("scam", msgid("A scam or fraud to take money"),
           msgid("Fake prizes, fake jobs, fake loans, requests to transfer money, links asking for bank details."),
           "SCAM_FRAUD"),
    Choice("false_news", msgid("False news or a rumour"),
           msgid("Made-up news about epidemics, disasters, the authorities or well-known people."), "FALSE_INFO"),
    Choice("impersonation", msgid("A fake page of a state body"),
           msgid("A page, account or website pretending to be the police, a ward, a department or a public utility."),
           "IMPERSONATE_GOV"),
    Choice("personal_data", msgid("Someone's personal information spread"),
           msgid("Phone numbers, ID card numbers, addresses or private photos posted without consent."), "DOXXING"),
    Choice("insult", msgid("Insults or slander against a person"),
           msgid("Humiliating, defaming or threatening someone by name."), "DEFAME_INSULT"),
    Choice("hate", msgid("Hatred or discrimination against a group"),
           msgid("Against people of a region, an ethnic group, a religion, a gender or with a disability."),
           "HATE_DISCRIM"),
    Choice("violence_obscene", msgid("Violent, bloody or pornographic content"),
           msgid("Gore, cruelty, pornography or sexual services offered."), "VIOLENT_OBSCENE"),
    Choice("riot_terror", msgid("Calls to riot, violence or terrorism"),
           msgid("Calls to gather and cause disorder, praise of terrorism, recruiting for violent groups."),
           "INCITE_RIOT"),
    Choice("anti_state", msgid("Content against the State"),
           msgid("Calls to overthrow the people's government, or distorting history to incite against it."),
           "ANTI_STATE"),
    Choice("sovereignty", msgid("Maps or content against Vietnam's sovereignty"),
           msgid("Maps without Hoàng Sa and Trường Sa, or the “nine-dash line”."), "MAP_SOVEREIGNTY"),
    Choice("gambling", msgid("Online gambling or betting"),
           msgid("Betting sites, online casinos, invitations to bet on football."), "GAMBLING"),
    Choice("drugs_weapons", msgid("Drugs, weapons or banned goods for sale"),
           msgid("Selling drugs, guns, explosives, wildlife or other banned goods."), "DRUGS_WEAPONS"),
    Choice("spam", msgid("Spam or unlawful advertising"),
           msgid("Repeated advertising, miracle cures, fake diplomas, sold SIM cards or accounts."), "SPAM_ADS"),
    Choice("other", msgid("Something else that breaks the rules"),
           msgid("Rude or offensive content, or anything not listed above."), "OFFENSIVE_LANG"),
)

BY_KEY = {choice.key: choice for choice in CHOICES}


def choice_of(key: str) -> Choice | None:
    return BY_KEY.get(key)
