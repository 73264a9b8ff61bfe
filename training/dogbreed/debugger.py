"""SageMaker Debugger hook, when the container has smdebug and the job configured Debugger.

The by-hand project configured Debugger rules and a hook but never registered one, so the
rules had no tensors. Here the hook is registered on the model and the loss and switched between
TRAIN and EVAL. smdebug only exists in PyTorch DLCs up to 1.12 (AWS no longer develops Debugger),
so without it, or outside SageMaker (get_hook returns None), this is a logged no-op; the profiler
report does not need a hook at all.
"""
import logging

log = logging.getLogger(__name__)


class Hook:
    def __init__(self, hook=None, modes=None):
        self._hook = hook
        self._modes = modes

    @property
    def active(self):
        return self._hook is not None

    def train(self):
        if self._hook is not None:
            self._hook.set_mode(self._modes.TRAIN)

    def eval(self):
        if self._hook is not None:
            self._hook.set_mode(self._modes.EVAL)


def create(model, criterion):
    try:
        import smdebug.pytorch as smd
        from smdebug import modes
    except ImportError:
        log.info("smdebug is not installed: Debugger tensor rules get no data (profiler still works)")
        return Hook()
    try:
        hook = smd.get_hook(create_if_not_exists=True)
        if hook is None:
            log.info("no Debugger hook configuration for this job: not collecting tensors")
            return Hook()
        hook.register_module(model)
        hook.register_loss(criterion)
    except Exception as exc:  # noqa: BLE001 - Debugger must never break training
        log.warning("could not set up the Debugger hook (%s): training continues without it", exc)
        return Hook()
    log.info("SageMaker Debugger hook registered on the model and the loss")
    return Hook(hook, modes)
