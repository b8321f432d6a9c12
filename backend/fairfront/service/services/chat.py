"""Chat sessions: a message becomes intents; set-up intents change the session's
set-up, action intents call the same services as the HTTP routes."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from ...datasets import list_datasets, load_dataset
from ..chat import (
    AddConstraint,
    ChatContext,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    DatasetInfo,
    Explain,
    Export,
    Help,
    Intent,
    LLMIntentParser,
    RunInfo,
    SelectPoint,
    SetNotions,
    SetProtected,
    SetRounds,
    SetTarget,
    Setup,
    SetupError,
    StartOver,
    Train,
    UploadDataset,
    apply,
    describe_setup,
    parse,
)
from ..errors import ServiceError
from ..settings import Settings
from ..store import ChatSessionRecord, Database
from .datasets import DatasetsService
from .explanations import ExplanationsService, make_llm_client
from .exports import ExportsService
from .runs import RunsService

log = logging.getLogger(__name__)

SETUP_INTENTS = (
    ChooseDataset, SetTarget, SetProtected, ChooseLearner, SetNotions, AddConstraint, SetRounds,
)  # fmt: skip
HISTORY_KEEP = 200
WELCOME = (
    "I train classifiers that are accurate and fair, and show you the trade-off. "
    'Try: "use adult, protect sex, race and age, keep equalized odds under 5%", '
    'then "train". Built-in datasets: {datasets}. You can also upload a CSV.'
)
HELP = (
    "Things you can say:\n"
    '- "use compas" (built-in: {datasets}) or upload a CSV\n'
    '- "predict income" / "the target is Y, positive >50K"\n'
    '- "protect sex, race and age" (groups: "race:White" for White vs the rest, '
    '"age:25,60" for age bands)\n'
    '- "use equalized odds" / "demographic parity"; "keep equalized odds under 5%"\n'
    '- "use adafair" or "mmm_fair"; "300 rounds"; "train"\n'
    '- when it is done: "pick the fairest point with balanced accuracy above 0.8", '
    '"pick round 120", "the knee"\n'
    '- "explain", "export", "start over"'
)


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
        self._builtin_infos: dict[str, DatasetInfo] | None = None
        self._infos_lock = threading.Lock()
        client = make_llm_client(settings)
        self.llm = (
            LLMIntentParser(
                client, settings.llm_model or "", settings.llm_timeout, settings.llm_retries
            )
            if client is not None
            else None
        )

    # ----- context --------------------------------------------------------------
    def _infos(self, owner: str | None = None) -> tuple[dict[str, DatasetInfo], dict[str, str]]:
        """Datasets the parser may name, and the upload id behind each uploaded name."""
        with self._infos_lock:  # once, not once per waiting thread (a thundering herd)
            if self._builtin_infos is None:
                self._builtin_infos = {
                    name: DatasetInfo.from_dataset(load_dataset(name), builtin=True)
                    for name in list_datasets()
                }
        infos = dict(self._builtin_infos)
        uploads: dict[str, str] = {}
        for item in self.datasets.all(owner):  # the owner's uploads only
            if item["builtin"]:
                continue
            profile = item["profile"]
            columns = [c["name"] for c in profile["columns"]]
            target = profile.get("suggested_target") or columns[-1]
            values = next(
                (c.get("values") for c in profile["columns"] if c["name"] == target), None
            )
            infos[item["name"]] = DatasetInfo(
                columns=columns,
                target=target,
                positive=str((values or ["1"])[-1]),
                protected=profile.get("suggested_protected", []),
                builtin=False,
            )
            uploads[item["name"]] = item["id"]
        return infos, uploads

    def _run_info(self, run_id: str | None) -> RunInfo | None:
        if run_id is None:
            return None
        try:
            run = self.runs.get(run_id)
        except ServiceError:
            return None
        return RunInfo(
            status=run["status"],
            notions=list(run["spec"].get("notions", ["eo"])),
            rounds=int(run["spec"].get("rounds", 1)),
        )

    # ----- one message ----------------------------------------------------------
    def handle(self, session_id: str, message: str, owner: str | None = None) -> dict[str, Any]:
        with self.db.session() as session:
            record = session.get(ChatSessionRecord, session_id)
            if record is None:
                record = ChatSessionRecord(id=session_id, setup={}, history=[], owner=owner)
                session.add(record)
            setup = Setup.model_validate(record.setup or {})
            run_id = record.run_id
            history = list(record.history or [])
        infos, uploads = self._infos(owner)
        context = ChatContext(datasets=infos, run=self._run_info(run_id), setup=setup)
        intents = self.llm.parse(message, context) if self.llm else parse(message, context)

        replies: list[str] = []
        actions: list[dict[str, Any]] = []
        changed = False
        for intent in intents:
            if isinstance(intent, SETUP_INTENTS):
                setup = apply(setup, intent)
                changed = True
                actions.append({"type": "setup", "intent": intent.model_dump()})
                continue
            try:
                reply, action, run_id, setup = self._act(
                    intent, setup, run_id, infos, uploads, owner
                )
            except ServiceError as error:
                reply, action = f"I could not do that: {error.message}", None
            except ValueError as error:  # a set-up the core refuses, in words
                reply, action = f"I could not do that: {error}", None
            if reply:
                replies.append(reply)
            if action:
                actions.append(action)
        if changed:
            replies.insert(0, describe_setup(setup, infos))
        if not replies:
            replies.append(WELCOME.format(datasets=", ".join(list_datasets())))
        text = "\n\n".join(replies)

        history += [{"role": "user", "text": message}, {"role": "assistant", "text": text}]
        with self.db.session() as session:
            record = session.get(ChatSessionRecord, session_id)
            if record is not None:
                record.setup = setup.model_dump(mode="json")
                record.run_id = run_id
                record.history = history[-HISTORY_KEEP:]
                record.updated = datetime.now(UTC)
        return {
            "reply": text,
            "actions": actions,
            "setup": setup.model_dump(mode="json"),
            "run_id": run_id,
        }

    def _act(
        self,
        intent: Intent,
        setup: Setup,
        run_id: str | None,
        infos: dict[str, DatasetInfo],
        uploads: dict[str, str],
        owner: str | None = None,
    ) -> tuple[str, dict[str, Any] | None, str | None, Setup]:
        """One action intent: (reply, action, the session's run id, set-up)."""
        datasets = ", ".join(list_datasets())
        if isinstance(intent, Clarify):
            options = f" ({' / '.join(intent.options)})" if intent.options else ""
            return (
                intent.question + options,
                {"type": "clarify", **intent.model_dump()},
                run_id,
                setup,
            )
        if isinstance(intent, Help):
            return HELP.format(datasets=datasets), None, run_id, setup
        if isinstance(intent, UploadDataset):
            return (
                "Upload a CSV with the upload button (it goes to POST /api/datasets); then say "
                '"use <file name>" and which column to predict.',
                {"type": "upload"},
                run_id,
                setup,
            )
        if isinstance(intent, StartOver):
            return "Starting over: nothing is set up.", {"type": "start_over"}, None, Setup()
        if isinstance(intent, Train):
            return self._train(setup, run_id, infos, uploads, owner)
        if run_id is None:
            return 'There is no trained run yet: set things up and say "train".', None, None, setup
        run = self.runs.get(run_id)
        if run["status"] != "done":
            return (
                f"The run is {run['status']}; ask again when it is done.",
                None,
                run_id,
                setup,
            )
        if isinstance(intent, SelectPoint):
            chosen = self.runs.select(run_id, intent.rule.to_rule())
            point = chosen["point"]
            block = point.get("test") or point["validation"]
            reply = (
                f"Selected round {point['round']}: {chosen['selection']['reason']}. "
                f"Balanced accuracy {block['balanced_accuracy']:.3f}"
                + "".join(
                    f", {n} {block[n]['value']:.3f}"
                    for n in run["spec"]["notions"]
                    if n in block and block[n]["value"] is not None
                )
                + (" (test split)." if "test" in point else " (validation split).")
            )
            return reply, {"type": "point_selected", "round": point["round"]}, run_id, setup
        round_ = intent.round if isinstance(intent, Explain | Export) else None
        if round_ is None:
            round_ = int(
                (run["selection"] or {}).get("round")
                or self.runs.selected_round(run_id)
            )
        if isinstance(intent, Explain):
            explanation = self.explanations.explain(run_id, round_)
            return (
                explanation["text"],
                {"type": "explanation", "round": round_, "source": explanation["source"]},
                run_id,
                setup,
            )
        if isinstance(intent, Export):
            self.exports.files(run_id, round_)
            base = f"/api/runs/{run_id}/points/{round_}"
            return (
                f"The model at round {round_} is ready: one ONNX file (preprocessing included) "
                "and its model card.",
                {
                    "type": "download",
                    "round": round_,
                    "model_url": f"{base}/model.onnx",
                    "card_url": f"{base}/model-card",
                    "card_markdown_url": f"{base}/model-card?format=markdown",
                },
                run_id,
                setup,
            )
        return 'I did not understand that; say "help" for examples.', None, run_id, setup

    def _train(
        self,
        setup: Setup,
        run_id: str | None,
        infos: dict[str, DatasetInfo],
        uploads: dict[str, str],
        owner: str | None = None,
    ) -> tuple[str, dict[str, Any] | None, str | None, Setup]:
        problems = setup.problems(infos.get(setup.dataset or ""))
        if problems:
            return "Not ready to train: " + "; ".join(problems) + ".", None, run_id, setup
        try:
            spec = setup.run_spec()
        except SetupError as error:
            return f"Not ready to train: {error}.", None, run_id, setup
        dataset_id = uploads.get(spec.data, spec.data)
        spec.data = self.datasets.path_for(dataset_id, owner)
        run = self.runs.create(spec, dataset_label=dataset_id, owner=owner)
        return (
            f"Training {spec.learner} for {spec.rounds} rounds on {setup.dataset}; the front "
            "grows as the rounds come in.",
            {"type": "run_started", "run_id": run["id"]},
            run["id"],
            setup,
        )
