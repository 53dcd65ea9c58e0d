print("ppds")
