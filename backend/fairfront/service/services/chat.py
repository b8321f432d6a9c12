"""Chat sessions: a message becomes intents; set-up intents change the session's set-up,
the others call the same services as the HTTP routes or answer from stored numbers.

A message the reader could not read whole comes back as one question (its buttons are
the response's ``suggestions``) and changes nothing. Answers quote only stored figures:
a point's blocks in ``front.json`` and the explainer's fact sheet; a model's own answer
to a question is used only when every number in it is on that fact sheet.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from ...datasets import list_datasets, load_dataset
from ...vocabulary import DATASETS
from ..chat import (
    MAX_ROUNDS,
    SETUP_INTENTS,
    Ask,
    Cancel,
    ChatContext,
    Clarify,
    DatasetInfo,
    Define,
    Help,
    Intent,
    ListRuns,
    LLMIntentParser,
    OpenRun,
    RunInfo,
    Setup,
    SmallTalk,
    StartOver,
    Train,
    UploadDataset,
    apply,
    define,
    describe_setup,
    parse,
    setting_words,
)
from ..errors import NotFoundError, ServiceError
from ..settings import Settings
from ..store import ChatSessionRecord, Database
from .chat_points import PointsChat, Turn
from .chat_uploads import Catalog, catalog, resolve_choice, which_one
from .datasets import DatasetsService
from .explanations import ExplanationsService, make_llm_client
from .exports import ExportsService
from .ownership import NO_CHAT_SESSION
from .runs import RunsService

log = logging.getLogger(__name__)

HISTORY_KEEP = 200
ACTIVE = ("queued", "running", "cancelling")
WELCOME = (
    "I train classifiers that are accurate and fair, and show you the trade-off. "
    'Try: "use adult, protect sex, race and age, keep equalized odds under 5%", '
    'then "train". Built-in datasets: {datasets}. You can also upload a CSV.'
)
HELP = (
    "Things you can say:\n"
    '- "use compas" (built-in: {datasets}) or upload a CSV; "drop ID", "put ID back"\n'
    '- "predict income"; on your own CSV "predict whether the grade is at least 10", '
    '"the positive class is 1"\n'
    '- "protect sex, race and age" ("race:White" for White vs the rest, "age split at 30 '
    'and 50" for age bands)\n'
    '- "use equalized odds" / "demographic parity"; "keep equalized odds under 5%"\n'
    '- "use adafair", "mmm_fair" or "fairbranch"; "300 rounds"; "train"; "stop"\n'
    '- "fairness weight 2", "learning rate 0.05", "max depth 3"; "try fairness weights 0.5, 1 '
    'and 2" (a sweep: a fit per setting, one front and one choice over all); "no sweep"\n'
    '- when it is done: "the fairest model with at least 84% accuracy", "pick round 120", '
    '"the knee", "make it fairer", "go back", "compare with the unconstrained model"\n'
    '- "what is its accuracy?", "which group is worst off?", "what does eo mean?"\n'
    '- "explain", "export", "show my previous runs", "start over"'
)
SMALL_TALK = {
    "greeting": "Hello! " + WELCOME,
    "thanks": 'You are welcome. Anything else? (say "help" for what I can do)',
    "bye": 'Goodbye! Your runs stay stored; say "show my previous runs" when you are back.',
    "how_are_you": "I am a tool for training fair classifiers, ready when you are. "
    'Say "help" to see what I can do.',
    "other_language": "Sorry, I understand English only. Please write your request in English, "
    'for example: "use adult, protect sex and train".',
}
NEXT_ON_SETUP = ["train", "what is the setup?"]


class ChatService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        datasets: DatasetsService,
        runs: RunsService,
        explanations: ExplanationsService,
        exports: ExportsService,
    ) -> None:
        self.db = db
        self.datasets = datasets
        self.runs = runs
        self.explanations = explanations
        self.exports = exports
        self.points = PointsChat(runs, explanations, exports)
        self._builtin_infos: dict[str, DatasetInfo] | None = None
        self._builtin_lock = threading.Lock()
        # reading the built-ins takes seconds: start at once, so a first message need not wait
        threading.Thread(target=self._builtins, name="chat-builtins", daemon=True).start()
        client = make_llm_client(settings)
        self.llm = (
            LLMIntentParser(
                client, settings.llm_model or "", settings.llm_timeout, settings.llm_retries
            )
            if client is not None
            else None
        )

    # ----- context --------------------------------------------------------------
    def _catalog(self, owner: str | None = None) -> Catalog:
        """Datasets the reader may name: built-ins and ``owner``'s uploads (no one else's),
        the upload id behind each name, and the names two uploads share."""
        return catalog(self._builtins(), self.datasets.all(owner))

    def _builtins(self) -> dict[str, DatasetInfo]:
        """The built-in datasets' infos, read once (the first caller reads, others wait)."""
        with self._builtin_lock:
            if self._builtin_infos is None:
                self._builtin_infos = {
                    name: DatasetInfo.from_dataset(
                        load_dataset(name), builtin=True, tasks=list(DATASETS[name].tasks)
                    )
                    for name in list_datasets()
                }
            return self._builtin_infos

    def _run_info(self, run_id: str | None) -> RunInfo | None:
        if run_id is None:
            return None
        try:
            run = self.runs.get(run_id)
        except ServiceError:
            return None
        rounds = int(run["spec"].get("rounds", 1))
        if run["status"] == "done":  # a multi-task run's points are its checkpoints
            rounds = len(self.runs.front(run_id).points) or rounds
        return RunInfo(
            status=run["status"],
            notions=list(run["spec"].get("notions", ["eo"])),
            rounds=min(rounds, MAX_ROUNDS),
        )

    # ----- one message ----------------------------------------------------------
    def handle(self, session_id: str, message: str, owner: str | None = None) -> dict[str, Any]:
        with self.db.session() as session:
            record = session.get(ChatSessionRecord, session_id)
            if record is None or record.owner != owner:  # never made up, nor brought back
                raise NotFoundError(NO_CHAT_SESSION, field="session_id")
            setup = Setup.model_validate(record.setup or {})
            run_id = record.run_id
            history = list(record.history or [])
        known = self._catalog(owner)
        infos = known.infos
        turn = Turn(setup, run_id, history)
        turn.owner = owner
        asked = known.ambiguous.get(setup.dataset or "")
        chosen = resolve_choice(message, setup.dataset or "", asked) if asked else None
        if chosen is not None:  # the answer to "which one?"
            turn.setup = setup.model_copy(update={"dataset": chosen.label})
            turn.changed, refused = True, False
            turn.actions.append({"type": "setup", "intent": {"dataset": chosen.label}})
            turn.say(f"Using {chosen.describe()}.")
            intents: list[Intent] = []
        else:
            context = ChatContext(datasets=infos, run=self._run_info(run_id), setup=setup)
            intents = self.llm.parse(message, context) if self.llm else parse(message, context)
            refused = any(isinstance(i, Clarify) for i in intents)
        # the set-up first ("train with 20 rounds, use eo" trains with eo), then the actions
        for intent in sorted(intents, key=lambda i: not isinstance(i, SETUP_INTENTS)):
            if isinstance(intent, SETUP_INTENTS):
                turn.setup = apply(turn.setup, intent)
                turn.changed = True
                turn.actions.append({"type": "setup", "intent": intent.model_dump()})
                continue
            try:
                self._act(intent, turn, known)
            except ServiceError as error:
                turn.replies.append(f"I could not do that: {error.message}")
            except ValueError as error:  # a set-up or rule the core refuses, in words
                turn.replies.append(f"I could not do that: {error}")
        duplicates = known.ambiguous.get(turn.setup.dataset or "")
        if duplicates:  # never a guess: ask which upload, and train on none until told
            question, options = which_one(turn.setup.dataset or "", duplicates)
            turn.say(question, {"type": "clarify", "question": question, "options": options})
            turn.suggestions = options
        elif turn.changed:
            described = describe_setup(turn.setup, infos, with_problems=not refused)
            turn.replies.insert(0, described)
            turn.suggestions = turn.suggestions or NEXT_ON_SETUP
        if not turn.replies:
            turn.replies.append(WELCOME.format(datasets=", ".join(list_datasets())))
        text = "\n\n".join(dict.fromkeys(turn.replies))
        turn.history += [{"role": "user", "text": message}, {"role": "assistant", "text": text}]
        with self.db.session() as session:
            record = session.get(ChatSessionRecord, session_id)
            if record is not None:
                record.setup = turn.setup.model_dump(mode="json")
                record.run_id = turn.run_id
                record.history = turn.history[-HISTORY_KEEP:]
                record.updated = datetime.now(UTC)
        return {
            "reply": text,
            "actions": turn.actions,
            "setup": turn.setup.model_dump(mode="json"),
            "run_id": turn.run_id,
            "suggestions": list(dict.fromkeys(turn.suggestions))[:6],
        }

    def _act(self, intent: Intent, turn: Turn, known: Catalog) -> None:
        """One intent that is not a set-up change: its reply, action and state."""
        datasets = ", ".join(list_datasets())
        if isinstance(intent, Clarify):
            turn.say(intent.question, {"type": "clarify", **intent.model_dump()})
            turn.suggestions = list(intent.options)
        elif isinstance(intent, Help):
            turn.say(HELP.format(datasets=datasets))
        elif isinstance(intent, SmallTalk):
            turn.say(SMALL_TALK[intent.mood].format(datasets=datasets))
        elif isinstance(intent, Define):
            turn.say(define(intent.term))
        elif isinstance(intent, UploadDataset):
            turn.say(
                "Upload a CSV with the upload button (it goes to POST /api/datasets); then say "
                '"use <file name>" and which column to predict.',
                {"type": "upload"},
            )
        elif isinstance(intent, StartOver):
            turn.setup, turn.run_id = Setup(), None
            turn.say("Starting over: nothing is set up.", {"type": "start_over"})
        elif isinstance(intent, Train):
            self._train(turn, known)
        elif isinstance(intent, ListRuns | OpenRun | Cancel):
            self._runs(intent, turn)
        elif isinstance(intent, Ask) and intent.topic in ("setup", "columns", "datasets", "status"):
            turn.say(self._about(intent, turn, known))
        else:
            self.points.act(intent, turn)

    def _train(self, turn: Turn, known: Catalog) -> None:
        if turn.setup.dataset in known.ambiguous:
            return  # which upload? (asked once the turn's intents are done)
        infos = known.infos
        problems = turn.setup.problems(infos.get(turn.setup.dataset or ""))
        if problems:
            turn.say("I cannot train yet: " + "; ".join(problems) + ".")
            return
        spec = turn.setup.run_spec()
        info = infos.get(turn.setup.dataset or "")
        if info is not None and not info.builtin:  # an upload: its profile's defaults
            if spec.protected is None:
                spec.protected = list(info.protected)
            if spec.target is None and not spec.tasks:
                spec.target = info.target
            if spec.positive is None and spec.target_rule is None and spec.target == info.target:
                spec.positive = None if info.positive_question else info.positive
        dataset_id = known.uploads.get(spec.data, spec.data)
        if not spec.tasks:  # the same checks as POST /api/runs, before anything is queued
            self.datasets.check_run(
                dataset_id,
                owner=turn.owner,
                target=spec.target,
                positive=spec.positive,
                protected=spec.protected,
                target_rule=spec.target_rule,
                drop=spec.drop,
                keep=spec.keep,
                test_size=spec.test_size,
                seed=spec.random_state,
            )
        spec.data = self.datasets.path_for(dataset_id, turn.owner)
        run = self.runs.create(spec, dataset_label=dataset_id, owner=turn.owner)
        turn.run_id = run["id"]
        length = f"{spec.epochs} epochs" if spec.tasks else f"{spec.rounds} rounds"
        settings = spec.settings() if spec.sweep else []
        if settings:  # a sweep: every setting its own fit, one front and one choice over all
            length += (
                f" in each of {len(settings)} settings ("
                + "; ".join(setting_words(s) for s in settings)
                + "), one front and one choice over them all"
            )
        turn.say(
            f"Training {spec.learner} for {length} on {turn.setup.dataset}; the front grows as "
            'the points come in. Say "stop" to cancel.',
            {"type": "run_started", "run_id": run["id"]},
        )

    def _runs(self, intent: ListRuns | OpenRun | Cancel, turn: Turn) -> None:
        if isinstance(intent, Cancel):
            run = self.runs.get(turn.run_id) if turn.run_id else None
            if run is None or run["status"] not in ACTIVE:
                turn.say("Nothing is training right now, so there is nothing to stop.")
                return
            self.runs.cancel(run["id"])
            turn.say(f"Stopping run {run['id']}.", {"type": "run_cancelled", "run_id": run["id"]})
            return
        recent = self.runs.recent(limit=20, owner=turn.owner)
        if isinstance(intent, ListRuns):
            if not recent:
                turn.say('There are no runs yet: set things up and say "train".')
                return
            lines = [
                f"{n}. run {r['id']}: {r['spec'].get('learner')} on "
                f"{r['spec'].get('dataset') or 'its data'}, "
                f"{r['status']}, {str(r['created'])[:16].replace('T', ' ')}"
                for n, r in enumerate(recent[:10], start=1)
            ]
            turn.say(
                "Your latest runs (newest first):\n"
                + "\n".join(lines)
                + f'\nSay "open run {min(2, len(recent))}" to reopen one.'
            )
            turn.suggestions = [f"open run {n}" for n in range(1, min(len(recent), 4) + 1)]
            return
        ref = intent.run
        chosen = (
            recent[int(ref) - 1]
            if ref.isdigit() and 1 <= int(ref) <= len(recent)
            else next((r for r in recent if r["id"].startswith(ref)), None)
        )
        if chosen is None:
            turn.say(f'There is no run {ref!r}; say "show my previous runs" for the list.')
            turn.suggestions = ["show my previous runs"]
            return
        turn.run_id = chosen["id"]
        turn.say(
            f"Reopened run {chosen['id']} ({chosen['status']}).",
            {"type": "run_started", "run_id": chosen["id"]},
        )

    def _about(self, intent: Ask, turn: Turn, known: Catalog) -> str:
        infos = known.infos
        if intent.topic == "setup":
            return describe_setup(turn.setup, infos)
        if intent.topic == "datasets":
            uploaded = [n for n in infos if not infos[n].builtin and n not in known.ambiguous]
            return f"Built-in datasets: {', '.join(list_datasets())}." + (
                f" Uploaded: {', '.join(uploaded)}." if uploaded else ""
            )
        if intent.topic == "columns":
            info = infos.get(turn.setup.dataset or "")
            if info is None:
                return "Choose a dataset first; then I can list its columns."
            left = "".join(
                f"; {c} left out ({', '.join(f) or 'flagged'})" for c, f in info.excluded.items()
            )
            return f"{turn.setup.dataset} has the columns {', '.join(info.columns)}{left}."
        if turn.run_id is None:
            return 'There is no run yet: set things up and say "train".'
        run = self.runs.get(turn.run_id)
        front = self.runs.front(turn.run_id)
        points = len(front.points)
        total = points if run["status"] == "done" else front.total or run["spec"].get("rounds")
        text = f"Run {run['id']} is {run['status']}: {points} of {total} points."
        selection = run.get("selection") or {}
        if run["status"] == "done" and selection.get("round"):
            setting = setting_words(selection.get("setting"))
            text += f" The chosen point is round {selection['round']}" + (
                f", from the setting {setting}." if setting else "."
            )
        return text

    # ----- on a finished run ----------------------------------------------------------
