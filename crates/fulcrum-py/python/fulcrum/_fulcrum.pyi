# Type stubs of the native module fulcrum._fulcrum (crates/fulcrum-py/src/lib.rs). The public
# API is fulcrum.load, fulcrum.load_experiment and the classes in fulcrum/__init__.py; these are
# the functions they call. Numbers cross as bytes of native-endian float64.
from typing import List, Optional, Sequence, Tuple, Union

LANES: int

# A warning: code ("W0001"), text ("file:line:col: W0001 message"), file, line, column.
Warning = Tuple[str, str, str, Optional[int], Optional[int]]
# A result table's columns (name, kind, values), its notes, and its plan's new warnings.
AnalysisTable = Tuple[List[Tuple[str, str, Union[List[str], bytes, List[bool], List[Optional[int]]]]], List[str], List[Warning]]
# A discovery: the trajectory (coverage, density, mass, restricted), the chosen box's rows
# (input, min, max, restricted, quasi-p), the chosen box, the ranking (input, score), the
# restrictions in words, and (cases, runs, runs left out).
Discovered = Tuple[
    List[Tuple[float, float, float, int]],
    List[Tuple[str, float, float, bool, Optional[float]]],
    int,
    List[Tuple[str, float]],
    List[str],
    Tuple[int, int, int],
]

def prim(
    names: Sequence[str],
    x: bytes,
    rows: int,
    y: Sequence[bool],
    threshold: float,
    peel_alpha: float,
    paste_alpha: float,
    mass_min: float,
    box_index: Optional[int],
) -> Discovered: ...
def discover(
    input_names: Sequence[str],
    inputs: bytes,
    outcome_names: Sequence[str],
    outcomes: bytes,
    rows: int,
    condition: str,
    option: Optional[str],
    threshold: float,
    peel_alpha: float,
    paste_alpha: float,
    mass_min: float,
    box_index: Optional[int],
) -> Discovered: ...
def discover_folder(
    path: str,
    condition: str,
    option: Optional[str],
    threshold: float,
    peel_alpha: float,
    paste_alpha: float,
    mass_min: float,
    box_index: Optional[int],
) -> Discovered: ...

class FulcrumError(Exception):
    code: Optional[str]
    path: Optional[str]
    line: Optional[int]
    column: Optional[int]
    diagnostics: List[str]

class NativeModel:
    @staticmethod
    def load(path: str, changes: Sequence[str], data: Sequence[str]) -> NativeModel: ...
    @staticmethod
    def from_source(path: str, text: str, changes: Sequence[str], data: Sequence[str]) -> NativeModel: ...
    def source(self) -> Tuple[str, str, List[str], List[str]]: ...
    def warnings(self) -> List[Warning]: ...
    def name(self) -> Optional[str]: ...
    def variables(self) -> List[str]: ...
    def time_axis(self) -> Tuple[float, float, float, float, str]: ...
    def constants(
        self,
    ) -> List[Tuple[str, float, Optional[str], Optional[float], Optional[float], Optional[str]]]: ...
    def run(
        self,
        params: Sequence[Tuple[str, float]],
        vars: Optional[Sequence[str]],
        start: Optional[float],
        stop: Optional[float],
        dt: Optional[float],
        method: Optional[str],
        save_step: Optional[float],
        seed: int,
    ) -> Tuple[bytes, List[str], bytes]: ...
    def evaluate(
        self,
        x: bytes,
        rows: int,
        params: Sequence[str],
        outcomes: Sequence[Tuple[str, str]],
        keep: Sequence[str],
        threads: Optional[int],
        seed: int,
        streams: Union[None, str, bytes],
    ) -> Tuple[bytes, bytes, List[float], List[Tuple[int, str, float, float]]]: ...

class NativeExperiment:
    @staticmethod
    def load(path: str) -> NativeExperiment: ...
    def path(self) -> str: ...
    def model_path(self) -> str: ...
    def warnings(self) -> List[Warning]: ...
    def sweep(
        self,
        runs: Optional[int],
        seed: Optional[int],
        sampler: Optional[str],
        threads: Optional[int],
    ) -> Tuple[
        Tuple[List[str], bytes],
        Tuple[List[str], bytes],
        Tuple[List[str], List[int], bytes, List[str], bytes],
        List[Tuple[int, str, float, float]],
        int,
        List[Warning],
    ]: ...
    def sensitivity(
        self,
        method: str,
        samples: Optional[int],
        seed: Optional[int],
        second_order: bool,
        levels: int,
        optimize: Optional[int],
        step: float,
        over_time: Optional[str],
        groups: Sequence[Tuple[str, Sequence[str]]],
        resamples: int,
        confidence: float,
        threads: Optional[int],
    ) -> AnalysisTable: ...
    def leverage(
        self,
        futures: Optional[int],
        seed: Optional[int],
        delta: float,
        cross_check: bool,
        resamples: int,
        confidence: float,
        threads: Optional[int],
    ) -> AnalysisTable: ...
    def compare(
        self,
        futures: Optional[int],
        seed: Optional[int],
        threads: Optional[int],
    ) -> AnalysisTable: ...
    def search(
        self,
        population: int,
        generations: Optional[int],
        evaluations: Optional[int],
        futures: Optional[int],
        seed: Optional[int],
        threads: Optional[int],
    ) -> Tuple[List[str], bytes, List[Tuple[int, int, float, int]], List[float], List[Warning]]: ...
    def calibrate(
        self,
        seed: Optional[int],
        threads: Optional[int],
        draws: Optional[int],
        restarts: Optional[int],
        walkers: Optional[int],
    ) -> Tuple[List[str], List[float], bytes, bytes, bytes, bool, Tuple[int, int, int, int, float]]: ...
