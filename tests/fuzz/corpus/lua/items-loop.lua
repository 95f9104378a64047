for i = 1, 20000 do neptun.items{limit = 100} end
