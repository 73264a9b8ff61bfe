"""Dog-breed classifier: the pieces shared by train.py (SageMaker, EC2, tests) and inference.py (endpoint).

Only ``modeling`` is imported by the endpoint; it is copied into the model artifact under
``code/dogbreed/`` so the endpoint runs with network isolation and no other code.
"""
