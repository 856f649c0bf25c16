def compile_coyml_flow(flow):
    raise NotImplementedError
