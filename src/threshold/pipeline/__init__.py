"""The main job as one path: front-door stores -> measures -> the analysis dataset -> the
locked protocol's analysis -> the report; called by the CLI, the web's jobs and notebooks."""

from threshold.pipeline.api import (
    MSG_NO_CONTACTS,
    MSG_OUT,
    MSG_RESULTS_NO_OUTCOME,
    MSG_SAME_RECORDS,
    STAGES,
    PipelineConfig,
    PipelineResult,
    Progress,
    check_out,
    contact_effect,
    cost_summary,
    gather,
    run_pipeline,
    write_outputs,
)
from threshold.pipeline.demo import (
    MSG_WORLD_CONTRACT,
    DemoResult,
    FrontDoorCheck,
    build_world,
    import_exports,
    run_demo,
)
from threshold.pipeline.summary import DataSummary, summarise_data

__all__ = [
    "MSG_NO_CONTACTS",
    "MSG_OUT",
    "MSG_RESULTS_NO_OUTCOME",
    "MSG_SAME_RECORDS",
    "MSG_WORLD_CONTRACT",
    "STAGES",
    "DataSummary",
    "DemoResult",
    "FrontDoorCheck",
    "PipelineConfig",
    "PipelineResult",
    "Progress",
    "build_world",
    "check_out",
    "contact_effect",
    "cost_summary",
    "gather",
    "import_exports",
    "run_demo",
    "run_pipeline",
    "summarise_data",
    "write_outputs",
]
